/**
 * Draws the app's PNG icons from public/icon.svg in Debian's Chromium (playwright-core) and
 * writes them to public/: 192 and 512 px, and a 512 px "maskable" one whose drawing stays inside
 * the safe circle on a full-bleed background. Run once after changing the SVG:
 *   node --import tsx apps/web/scripts/make-icons.ts
 * The PNGs are committed, so a build needs no browser.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const PUBLIC = fileURLToPath(new URL('../public/', import.meta.url));
const svg = readFileSync(`${PUBLIC}icon.svg`, 'utf8');
const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;

const icons = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  { file: 'icon-maskable-512.png', size: 512, maskable: true },
];

const browser = await chromium.launch({
  executablePath: process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  for (const icon of icons) {
    const inner = icon.maskable ? Math.round(icon.size * 0.72) : icon.size;
    await page.setViewportSize({ width: icon.size, height: icon.size });
    await page.setContent(
      `<body style="margin:0;display:grid;place-items:center;width:${icon.size}px;height:${icon.size}px;background:${icon.maskable ? '#1f6feb' : 'transparent'}">` +
        `<img src="${dataUrl}" width="${inner}" height="${inner}"></body>`,
    );
    await page.screenshot({ path: `${PUBLIC}${icon.file}`, omitBackground: !icon.maskable });
  }
} finally {
  await browser.close();
}
