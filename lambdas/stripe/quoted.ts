/** A payload value quoted for an error message: JSON-escaped and cut short, since the value is untrusted. */
export function quoted(value: string, max = 60): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}
