/**
 * Imported first by the local entry points (start.ts, demo.ts), before any AWS SDK module loads:
 * the SDK warns once at load time that future releases need Node 22, which says nothing about
 * this local run and would be the first thing a newcomer reads.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
