// The wallet's service worker: the app shell (the page, its script, wasm
// and style, the manifest and icons) cached for an offline start.
// scripts/build-web.sh writes dist/sw.js from this file, putting the
// build's file list in place of __SHELL__ and its digest in place of
// __VERSION__: a new build is a new cache, and the old one is deleted once
// the new worker takes over. The relay's API is never cached: only the
// shell's own paths are answered here; every other request goes to the
// network untouched.
const PREFIX = 'lockstep-shell-';
const CACHE = PREFIX + '__VERSION__';
const SHELL = __SHELL__;

self.addEventListener('install', (e) => {
    // Through the HTTP cache: the hashed files the page just loaded are
    // there (immutable), so a first visit does not fetch them twice; the
    // rest is revalidated (`no-cache`).
    e.waitUntil(caches.open(CACHE)
        .then((c) => c.addAll(SHELL))
        .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
    e.waitUntil(caches.keys()
        .then((keys) => Promise.all(keys
            .filter((k) => k.startsWith(PREFIX) && k !== CACHE)
            .map((k) => caches.delete(k))))
        .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
    const req = e.request;
    if (req.method !== 'GET') return;
    const url = new URL(req.url);
    if (url.origin !== self.location.origin) return;
    if (req.mode === 'navigate') {
        // The page: the network first (a new build shows at once), the
        // cached page when the relay cannot be reached.
        e.respondWith(fetch(req).catch(() => caches.open(CACHE)
            .then((c) => c.match('/index.html'))
            .then((hit) => hit || Response.error())));
        return;
    }
    if (!SHELL.includes(url.pathname)) return;
    e.respondWith(caches.open(CACHE)
        .then((c) => c.match(req))
        .then((hit) => hit || fetch(req)));
});
