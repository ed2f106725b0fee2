// fauxqs is ESM-only, so it is started here (an .mjs globalSetup) once per jest run, on a free
// port. Its endpoint reaches the test workers through the environment they inherit.
import { startFauxqs } from 'fauxqs';

export default async function globalSetup() {
  const server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  globalThis.__FAUXQS__ = server;
  process.env.FAUXQS_ENDPOINT = `http://127.0.0.1:${server.port}`;
}
