/**
 * The page's script: plain DOM, no framework. Results are buttons, so Tab reaches them and
 * Enter searches by one ("more like this"). Text from the server only ever goes into
 * textContent/attributes, never innerHTML. Kept free of backticks: it lives in a template literal.
 */
export const APP_JS = String.raw`
'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var PAGE = 48;
  var state = { page: 0, total: 0, queryUrl: null };

  function setStatus(text, isError) {
    var s = $('status');
    s.textContent = text;
    s.className = isError ? 'status error' : 'status';
  }

  function api(path, init) {
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) {
          var e = body && body.error ? body.error : { code: 'HTTP_' + res.status, message: res.statusText };
          throw new Error(e.message + ' (' + e.code + ')');
        }
        return body;
      });
    });
  }

  function loadStats() {
    api('/api/stats').then(function (s) {
      var recipe = s.recipe ? s.recipe.name + ' recipe' : 'no recipe yet';
      $('collection').textContent = s.name + ': ' + s.indexed + ' images · model ' + (s.model || 'none') + ' (' + recipe + (s.dim ? ', ' + s.dim + '-d' : '') + ')';
      $('collection').dataset.model = s.model || '';
      $('bycat-label').hidden = !s.features.labels;
    }).catch(function (err) { $('collection').textContent = 'Cannot read the collection: ' + err.message; });
  }

  function card(item, scoreText) {
    var li = document.createElement('li');
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'card';
    b.dataset.id = String(item.id);
    b.title = item.path + ' (more like this)';
    b.setAttribute('aria-label', 'More like ' + item.name + (scoreText ? ', similarity ' + scoreText : ''));
    var img = document.createElement('img');
    img.src = item.thumb;
    img.alt = '';
    img.loading = 'lazy';
    img.decoding = 'async';
    var cap = document.createElement('span');
    cap.className = 'cap';
    var name = document.createElement('span');
    name.className = 'name';
    name.textContent = item.name;
    cap.appendChild(name);
    if (scoreText) {
      var sc = document.createElement('span');
      sc.className = 'score';
      sc.textContent = scoreText;
      cap.appendChild(sc);
    }
    b.appendChild(img);
    b.appendChild(cap);
    b.addEventListener('click', function () { searchById(item.id); });
    li.appendChild(b);
    return li;
  }

  function showQuery(src, label) {
    if (state.queryUrl) { URL.revokeObjectURL(state.queryUrl); state.queryUrl = null; }
    if (src && src.indexOf('blob:') === 0) state.queryUrl = src;
    var img = $('query-img');
    if (src) { img.src = src; img.hidden = false; } else { img.removeAttribute('src'); img.hidden = true; }
    img.alt = 'Query: ' + label;
    $('query-label').textContent = label;
    $('query').hidden = false;
  }

  function showResults(r) {
    var list = $('results');
    list.replaceChildren.apply(list, r.hits.map(function (h) { return card(h, (h.similarity !== undefined ? h.similarity : h.score).toFixed(3)); }));
    list.dataset.count = String(r.hits.length);
    var gate = r.gate ? ' · categories: ' + r.gate.categories.map(function (c) { return c.name; }).join(', ') + (r.gate.widened ? ' (widened)' : '') : '';
    setStatus(r.hits.length + ' results from ' + r.scanned + ' images in ' + Math.round(r.timings.totalMs) + ' ms' + gate);
  }

  /** k, re-ranker and category gate as the form says, as a query string. */
  function options() {
    var q = 'k=' + encodeURIComponent($('k').value);
    if ($('rerank').value) q += '&rerank=' + encodeURIComponent($('rerank').value);
    if (!$('bycat-label').hidden && $('bycat').checked) q += '&byCategory=true';
    return q;
  }

  function run(promise) {
    setStatus('Searching…');
    $('results').setAttribute('aria-busy', 'true');
    return promise.then(showResults).catch(function (err) { setStatus(err.message, true); })
      .then(function () { $('results').removeAttribute('aria-busy'); });
  }

  function searchFile(file) {
    if (!file) return;
    if (file.type && file.type.indexOf('image/') !== 0) { setStatus(file.name + ' is not an image', true); return; }
    showView('search');
    if (location.hash) history.replaceState(null, '', location.pathname);
    showQuery(URL.createObjectURL(file), file.name || 'pasted image');
    var form = new FormData();
    form.append('image', file, file.name || 'pasted-image');
    return run(api('/api/search?' + options(), { method: 'POST', body: form }));
  }

  function searchUrl(url) {
    showView('search');
    if (location.hash) history.replaceState(null, '', location.pathname);
    showQuery(null, url);
    return run(api('/api/search?' + options(), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ url: url })
    }));
  }

  // Views with an address go through the hash, so Back returns to the previous results.
  function go(hash) {
    if (location.hash === hash) route(); else location.hash = hash;
  }

  function searchById(id) { go('#id=' + id); }

  function runIdSearch(id) {
    showView('search');
    showQuery('/api/images/' + id + '/thumb', '#' + id);
    return run(api('/api/search?id=' + id + '&' + options()).then(function (r) {
      $('query-label').textContent = r.query.label;
      $('query-img').alt = 'Query: ' + r.query.label;
      return r;
    }));
  }

  function browse(page) {
    showView('browse');
    $('page-info').textContent = 'Loading…';
    return api('/api/images?status=indexed&limit=' + PAGE + '&offset=' + page * PAGE).then(function (r) {
      state.page = page;
      state.total = r.total;
      var pages = Math.max(1, Math.ceil(r.total / PAGE));
      $('page-info').textContent = 'Page ' + (page + 1) + ' of ' + pages + ' (' + r.total + ' images)';
      $('prev').disabled = page <= 0;
      $('next').disabled = page + 1 >= pages;
      var list = $('browse');
      list.replaceChildren.apply(list, r.images.map(function (i) { return card(i, ''); }));
    }).catch(function (err) { $('page-info').textContent = err.message; });
  }

  function showView(name) {
    $('view-search').hidden = name !== 'search';
    $('view-browse').hidden = name !== 'browse';
    $('tab-search').setAttribute('aria-pressed', String(name === 'search'));
    $('tab-browse').setAttribute('aria-pressed', String(name === 'browse'));
  }

  function route() {
    var m = /^#id=(\d+)$/.exec(location.hash);
    if (m) return runIdSearch(Number(m[1]));
    var b = /^#browse=(\d+)$/.exec(location.hash);
    if (b) return browse(Math.max(0, Number(b[1]) - 1));
    showView('search');
  }

  function imageFrom(items) {
    for (var i = 0; items && i < items.length; i++) {
      if (items[i].kind === 'file' && items[i].type.indexOf('image/') === 0) return items[i].getAsFile();
    }
    return null;
  }

  function init() {
    var drop = $('drop');
    drop.addEventListener('click', function () { $('file').click(); });
    drop.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('file').click(); }
    });
    ['dragenter', 'dragover'].forEach(function (t) {
      drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add('over'); });
    });
    ['dragleave', 'drop'].forEach(function (t) {
      drop.addEventListener(t, function () { drop.classList.remove('over'); });
    });
    // Dropping anywhere on the page counts; the browser would otherwise navigate to the file.
    document.addEventListener('dragover', function (e) { e.preventDefault(); });
    document.addEventListener('drop', function (e) {
      e.preventDefault();
      var dt = e.dataTransfer;
      if (!dt) return;
      var file = (dt.files && dt.files[0]) || imageFrom(dt.items);
      if (file) { searchFile(file); return; }
      var url = dt.getData('text/uri-list') || dt.getData('text/plain');
      if (/^https?:\/\//i.test(url)) { $('url').value = url.trim(); searchUrl(url.trim()); }
    });
    document.addEventListener('paste', function (e) {
      var cd = e.clipboardData;
      if (!cd) return;
      var file = imageFrom(cd.items) || (cd.files && cd.files[0]);
      if (file) { e.preventDefault(); searchFile(file); return; }
      var text = cd.getData('text/plain').trim();
      if (/^https?:\/\/\S+$/i.test(text) && document.activeElement !== $('url')) { e.preventDefault(); $('url').value = text; searchUrl(text); }
    });
    $('file').addEventListener('change', function (e) { searchFile(e.target.files && e.target.files[0]); e.target.value = ''; });
    $('query-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var url = $('url').value.trim();
      if (url) searchUrl(url); else setStatus('Type or paste an image URL first', true);
    });
    $('tab-search').addEventListener('click', function () {
      if (location.hash) history.pushState(null, '', location.pathname);
      showView('search');
    });
    $('tab-browse').addEventListener('click', function () { go('#browse=' + (state.page + 1)); });
    $('prev').addEventListener('click', function () { go('#browse=' + state.page); });
    $('next').addEventListener('click', function () { go('#browse=' + (state.page + 2)); });
    window.addEventListener('hashchange', route);
    loadStats();
    route();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
`;
