/** The web page and its two assets, embedded as strings so `dist/` needs no copy step. */
import { Hono } from 'hono';
import { APP_CSS } from '../public/app-css.js';
import { APP_JS } from '../public/app-js.js';
import { INDEX_HTML } from '../public/index-html.js';

// Everything the page loads comes from this server: no CDN, no inline script.
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export function pageRoutes(): Hono {
  const app = new Hono();
  app.get('/', (c) => c.html(INDEX_HTML, 200, { 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache' }));
  app.get('/assets/app.js', (c) => c.body(APP_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }));
  app.get('/assets/app.css', (c) => c.body(APP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' }));
  return app;
}
