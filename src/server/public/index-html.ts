/** The page's markup: static, so the first paint needs no script; app.js fills it in. */
export const INDEX_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>simili</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1><a href="#" id="home">simili</a></h1>
  <p id="collection" class="meta" aria-live="polite">Loading collection…</p>
  <nav aria-label="Views">
    <button type="button" id="tab-search" class="tab" aria-pressed="true">Search</button>
    <button type="button" id="tab-browse" class="tab" aria-pressed="false">Browse</button>
  </nav>
</header>

<main>
  <section id="view-search" aria-label="Search">
    <form id="query-form" class="query-form">
      <div id="drop" class="drop" tabindex="0" role="button" aria-describedby="drop-help">
        <strong>Drop an image here</strong>
        <span id="drop-help">or paste one (Ctrl+V), or press Enter to choose a file</span>
      </div>
      <label class="file-label">Choose an image <input type="file" id="file" accept="image/*"></label>
      <div class="url-row">
        <label for="url">Image URL</label>
        <input type="url" id="url" name="url" placeholder="https://example.com/photo.jpg" autocomplete="off">
        <button type="submit">Search URL</button>
      </div>
      <div class="opts">
        <span class="pair">
          <label for="k">Number of results</label>
          <select id="k" name="k">
            <option>10</option><option selected>20</option><option>50</option><option>100</option>
          </select>
        </span>
        <span class="pair">
          <label for="rerank">Re-rank</label>
          <select id="rerank" name="rerank">
            <option value="">none</option><option value="ssim">SSIM</option><option value="ms-ssim">MS-SSIM</option><option value="ssim-euclid">SSIM + distance</option>
          </select>
        </span>
        <label id="bycat-label" hidden><input type="checkbox" id="bycat" name="byCategory"> Same category only</label>
      </div>
    </form>

    <p id="status" class="status" role="status" aria-live="polite"></p>

    <div class="layout">
      <aside id="query" class="query" aria-label="Query image" hidden>
        <h2>Query</h2>
        <img id="query-img" alt="">
        <p id="query-label" class="name"></p>
      </aside>
      <section class="results" aria-labelledby="results-title">
        <h2 id="results-title" class="visually-hidden">Results</h2>
        <ol id="results" class="grid"></ol>
      </section>
    </div>
  </section>

  <section id="view-browse" aria-label="Browse the collection" hidden>
    <div class="pager">
      <button type="button" id="prev">Previous</button>
      <span id="page-info" aria-live="polite"></span>
      <button type="button" id="next">Next</button>
    </div>
    <ol id="browse" class="grid"></ol>
  </section>
</main>
<footer class="foot"><a href="/openapi.json">API (OpenAPI)</a></footer>
</body>
</html>
`;
