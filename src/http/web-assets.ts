import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type RequestHandler, type Router } from 'express';

/**
 * The browser pages built by `npm run build` (web/ → dist/web). Hashed assets are immutable;
 * HTML is revalidated so a deployment takes effect at the next load. Every response carries a
 * strict Content-Security-Policy: the pages load nothing but their own origin's scripts and styles.
 */
export interface WebPageOptions {
  /** dist/web */
  dir: string;
  /** The page's folder under dir, e.g. 'console'. */
  page: string;
  /** Origins (besides 'self') the page may fetch from, e.g. a SMART app's FHIR server. */
  connectSrc?: string[];
  /** Runs before anything is served (e.g. a token check). */
  guard?: RequestHandler;
}

export function contentSecurityPolicy(connectSrc: string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ['connect-src', "'self'", ...connectSrc].join(' '),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}

export function webBuildPresent(dir: string): boolean {
  return existsSync(join(dir, 'assets'));
}

/** Serves dist/web/assets (hashed file names: cache for a year). */
export function webAssetsRouter(dir: string): Router {
  const router = express.Router();
  router.use(
    '/assets',
    (_req, res, next) => {
      res.setHeader('Content-Security-Policy', contentSecurityPolicy());
      next();
    },
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
  );
  return router;
}

/** Serves one page folder (its HTML files) under /<page>/. */
export function webPageRouter(options: WebPageOptions): Router {
  const router = express.Router();
  const csp = contentSecurityPolicy(options.connectSrc);
  const mount = `/${options.page}`;
  router.get(mount, (req, res, next) => {
    const [path, query] = req.originalUrl.split('?', 2);
    if (path !== mount) return next();
    res.redirect(301, `${mount}/${query === undefined ? '' : `?${query}`}`);
  });
  router.use(
    mount,
    ...(options.guard ? [options.guard] : []),
    (_req, res, next) => {
      res.setHeader('Content-Security-Policy', csp);
      next();
    },
    express.static(join(options.dir, options.page), {
      index: 'index.html',
      extensions: ['html'],
      redirect: false,
      setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
    }),
  );
  return router;
}
