// Container HEALTHCHECK: exits 0 when the service in this image answers /health/live.
import { imageApp, isLive, livenessUrl } from './health';

const timeoutMs = 4_000;

try {
  const app = imageApp(process.env);
  const url = livenessUrl(app, process.env);
  const live = await isLive(url, timeoutMs);
  if (!live) console.error(`${app}: ${url.href} did not answer 2xx within ${timeoutMs} ms`);
  process.exitCode = live ? 0 : 1;
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
