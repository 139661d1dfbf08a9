// Measures a rendered page for tests/app/browser.py: every piece of text with its size on
// screen and its box, every clipping ancestor it escapes, and the page's width. The result
// replaces the page body as JSON, which `chromium --dump-dom` prints.
(() => {
  const out = {viewport: innerWidth, pageWidth: document.documentElement.scrollWidth,
               pageHeight: document.documentElement.scrollHeight,
               body: null, texts: [], charts: [], scrollers: []};
  const svgs = [...document.querySelectorAll("svg")];
  const name = el => el.tagName.toLowerCase() + (el.getAttribute("class") ? "." + el.getAttribute("class") : "");
  const boxOf = r => [r.left + scrollX, r.top + scrollY, r.right + scrollX, r.bottom + scrollY];
  out.body = boxOf(document.body.getBoundingClientRect());
  svgs.forEach(s => out.charts.push({box: boxOf(s.getBoundingClientRect()), texts: 0}));
  const clips = el => {  // ancestors that cut what overflows them
    const found = [];
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const st = getComputedStyle(a);
      const cuts = a instanceof SVGSVGElement ? st.overflow !== "visible"
                                              : st.overflowX !== "visible" || st.overflowY !== "visible";
      if (cuts) found.push({el: a, scrolls: /auto|scroll/.test(st.overflowX + st.overflowY) && !(a instanceof SVGElement)});
    }
    return found;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || ["STYLE", "SCRIPT", "TITLE"].includes(el.tagName) || el.closest("title, defs, style")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    let px = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement) {
      const m = el.getScreenCTM();
      px *= Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
    }
    const svg = el.closest("svg");
    const cut = clips(el).filter(c => {
      const b = c.el.getBoundingClientRect();
      return !c.scrolls && (r.left < b.left - 1 || r.right > b.right + 1 || r.top < b.top - 1 || r.bottom > b.bottom + 1);
    }).map(c => name(c.el));
    out.texts.push({text: text.slice(0, 60), px: Math.round(px * 100) / 100, box: boxOf(r),
                    chart: svg ? svgs.indexOf(svg) : -1, cutBy: cut});
    if (svg) out.charts[svgs.indexOf(svg)].texts += 1;
  }
  document.querySelectorAll("body *").forEach(el => {
    const st = getComputedStyle(el);
    if (/auto|scroll/.test(st.overflowX) && el.scrollWidth > el.clientWidth + 1)
      out.scrollers.push({tag: name(el), box: boxOf(el.getBoundingClientRect()),
                          contentWidth: el.scrollWidth});
  });
  document.body.innerHTML = "";
  const pre = document.createElement("pre");
  pre.id = "layout";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
