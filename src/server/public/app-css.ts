/** The page's styles: system fonts, CSS grid, no external assets. */
export const APP_CSS = String.raw`
:root { color-scheme: light dark; --bg: #fafafa; --fg: #1b1b1b; --muted: #666; --card: #fff; --line: #ddd; --accent: #0b63c5; }
@media (prefers-color-scheme: dark) { :root { --bg: #151515; --fg: #eee; --muted: #aaa; --card: #222; --line: #3a3a3a; --accent: #6aa8ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .75rem 1.25rem; border-bottom: 1px solid var(--line); }
.top h1 { margin: 0; font-size: 1.3rem; }
.top h1 a { color: inherit; text-decoration: none; }
.meta { margin: 0; color: var(--muted); flex: 1; }
nav { display: flex; gap: .25rem; }
button, select, input { font: inherit; }
button { cursor: pointer; border: 1px solid var(--line); background: var(--card); color: var(--fg); border-radius: 6px; padding: .35rem .8rem; }
button[aria-pressed="true"] { background: var(--accent); border-color: var(--accent); color: #fff; }
button:disabled { opacity: .5; cursor: default; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
main { padding: 1rem 1.25rem; }
.query-form { display: grid; gap: .75rem; grid-template-columns: 1fr; max-width: 60rem; }
.drop { border: 2px dashed var(--line); border-radius: 10px; padding: 1.4rem; text-align: center; display: grid; gap: .25rem; cursor: pointer; background: var(--card); }
.drop.over { border-color: var(--accent); background: color-mix(in srgb, var(--accent) 10%, var(--card)); }
.drop span { color: var(--muted); }
.file-label { color: var(--muted); }
.url-row, .opts { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.opts { column-gap: 1.25rem; }
.pair { display: inline-flex; gap: .4rem; align-items: center; }
.url-row input { flex: 1; min-width: 12rem; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 6px; background: var(--card); color: var(--fg); }
.status { min-height: 1.4em; color: var(--muted); }
.status.error { color: #c62828; }
.layout { display: flex; gap: 1.25rem; align-items: flex-start; }
.query { flex: 0 0 240px; position: sticky; top: 1rem; }
.query h2 { font-size: 1rem; margin: 0 0 .5rem; }
.query img { width: 100%; border-radius: 8px; border: 1px solid var(--line); background: var(--card); }
.results { flex: 1; min-width: 0; }
.grid { list-style: none; margin: 0; padding: 0; display: grid; gap: .75rem; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); }
.card { display: grid; width: 100%; padding: 0; text-align: left; overflow: hidden; border-radius: 8px; }
.card img { width: 100%; aspect-ratio: 4 / 3; object-fit: cover; display: block; background: var(--line); }
.card .cap { padding: .35rem .5rem; display: flex; justify-content: space-between; gap: .5rem; font-size: .85rem; }
.name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.score { font-variant-numeric: tabular-nums; color: var(--muted); }
.pager { display: flex; gap: 1rem; align-items: center; margin-bottom: 1rem; }
.foot { padding: 1rem 1.25rem; color: var(--muted); font-size: .85rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 640px) {
  .layout { flex-direction: column; align-items: stretch; }
  .query { position: static; flex-basis: auto; max-width: 200px; }
  .grid { grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); }
}
`;
