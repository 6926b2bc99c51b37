// What the renderer is made of and how it may behave: the files a URL path may name (and
// nothing else: no directory walking), their types, and the Content-Security-Policy both
// the headless host and the Electron shell send with every page.
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export interface AssetRoots {
  /** renderer/ sources: index.html, style.css, img/*.svg */
  static: string;
  /** The compiled renderer modules (dist/renderer). */
  js: string;
}

export function defaultRoots(): AssetRoots {
  const root = packageRoot();
  return { static: join(root, 'renderer'), js: join(root, 'dist', 'renderer') };
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

const PATH = /^\/(?:(js|img)\/)?([a-z0-9][a-z0-9-]*)\.(html|css|js|svg)$/;

/** The file for a URL path, or undefined: only flat, lower-case names in known folders. */
export function resolveAsset(pathname: string, roots: AssetRoots): { file: string; type: string } | undefined {
  if (pathname === '/') pathname = '/index.html';
  const m = PATH.exec(pathname);
  if (!m) return undefined;
  const [, dir, base, ext] = m as unknown as [string, string | undefined, string, string];
  const name = `${base}.${ext}`;
  if (dir === 'js' && ext === 'js') return { file: join(roots.js, name), type: TYPES.js! };
  if (dir === 'img' && ext === 'svg') return { file: join(roots.static, 'img', name), type: TYPES.svg! };
  if (dir === undefined && (ext === 'css' || name === 'index.html')) return { file: join(roots.static, name), type: TYPES[ext]! };
  return undefined;
}

/**
 * No inline script or style, no eval, no plugins, no framing, no forms posting away.
 * Images: our own SVGs plus data:/blob: for the chip's portrait. Media: the live camera.
 * connect-src names the one WebSocket (headless host); under Electron IPC needs none.
 */
export function contentSecurityPolicy(connect: string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    `connect-src ${connect.length ? connect.join(' ') : "'none'"}`,
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(self), microphone=(), geolocation=(), usb=(), serial=(), hid=(), payment=()',
    'Cache-Control': 'no-store',
  };
}
