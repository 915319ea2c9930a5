/**
 * A self-contained results page: the query beside a grid of its top-k, every image
 * embedded as a small data: URI so the file can be mailed or opened offline.
 */
import sharp from 'sharp';

export interface HtmlHit {
  rank: number;
  label: string;
  score: number;
  /** Small JPEG/WebP/PNG preview, or null when the image cannot be read. */
  thumbnail: Buffer | null;
  /** Where the full image lives (file path or URL), used as the link target. */
  href: string;
}

export interface HtmlPage {
  title: string;
  query: { label: string; thumbnail: Buffer | null };
  hits: HtmlHit[];
  /** One line under the title: collection, recipe, timing. */
  subtitle?: string;
}

export const THUMBNAIL_SIZE = 256;

/** A preview from image bytes; null when they do not decode (the page shows a placeholder). */
export async function makeThumbnail(bytes: Buffer, size = THUMBNAIL_SIZE): Promise<Buffer | null> {
  try {
    return await sharp(bytes).rotate().resize(size, size, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 75 }).toBuffer();
  } catch {
    return null;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function dataUri(buf: Buffer | null): string {
  if (!buf) return '';
  const mime = buf.subarray(0, 4).toString('latin1') === 'RIFF' ? 'image/webp' : buf[0] === 0x89 ? 'image/png' : 'image/jpeg';
  return `data:${mime};base64,${buf.toString('base64')}`;
}

function figure(img: Buffer | null, caption: string, href?: string): string {
  const pic = img ? `<img src="${dataUri(img)}" alt="${escapeHtml(caption)}">` : `<div class="missing">unreadable</div>`;
  const linked = href ? `<a href="${escapeHtml(href.startsWith('http') ? href : `file://${href}`)}">${pic}</a>` : pic;
  return `<figure>${linked}<figcaption>${caption}</figcaption></figure>`;
}

export function renderHtml(page: HtmlPage): string {
  const grid = page.hits
    .map((h) => figure(h.thumbnail, `<b>#${h.rank}</b> ${h.score.toFixed(3)}<br>${escapeHtml(h.label)}`, h.href))
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
main{display:grid;grid-template-columns:minmax(180px,280px) 1fr;gap:1.5rem;align-items:start}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:.75rem}
figure{margin:0;background:#f4f4f4;border-radius:6px;padding:.4rem}
figure img{width:100%;height:160px;object-fit:contain;display:block}
.query figure img{height:260px}
figcaption{font-size:12px;word-break:break-all;margin-top:.3rem}
.missing{height:160px;display:grid;place-items:center;color:#999}
@media (max-width:640px){main{grid-template-columns:1fr}}
</style></head><body>
<h1>${escapeHtml(page.title)}</h1>
${page.subtitle ? `<p>${escapeHtml(page.subtitle)}</p>` : ''}
<main><section class="query"><h2>Query</h2>${figure(page.query.thumbnail, escapeHtml(page.query.label))}</section>
<section><h2>Top ${page.hits.length}</h2><div class="grid">
${grid}
</div></section></main></body></html>
`;
}
