// The checks of tests/browser/accessibility.py, run in the page: one function of the minimum tap target,
// returning a line per failure. __MIN_CONTRAST__ is filled in from Python.
(minTarget) => {
  const problems = [];
  const seen = new Set();
  const report = (kind, el, detail) => {
    const line = `${kind}: ${selectorOf(el)} ${detail}`;
    if (!seen.has(line)) { seen.add(line); problems.push(line); }
  };

  function selectorOf(el) {
    if (!el || el.nodeType !== 1) return String(el);
    const parts = [];
    for (let node = el; node && node.nodeType === 1 && parts.length < 5; node = node.parentElement) {
      if (node.id) { parts.unshift('#' + CSS.escape(node.id)); break; }
      let part = node.tagName.toLowerCase();
      const testid = node.getAttribute('data-testid');
      if (testid) { part += `[data-testid="${testid}"]`; }
      else {
        const classes = [...node.classList].slice(0, 2).map((c) => '.' + CSS.escape(c)).join('');
        part += classes;
        const parent = node.parentElement;
        if (parent) {
          const same = [...parent.children].filter((c) => c.tagName === node.tagName);
          if (same.length > 1) part += `:nth-of-type(${same.indexOf(node) + 1})`;
        }
      }
      parts.unshift(part);
      if (node.tagName === 'BODY') break;
    }
    return parts.join(' > ');
  }

  function visible(el) {
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }

  // Is the element what a person sees at its place, or is it covered (by a dialog over the screen)?
  function onTop(el) {
    const r = el.getBoundingClientRect();
    const points = [[r.left + r.width / 2, r.top + r.height / 2], [r.left + 2, r.top + 2], [r.right - 2, r.bottom - 2]];
    return points.some(([x, y]) => {
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return false;
      const hit = document.elementFromPoint(x, y);
      return hit && (el.contains(hit) || hit.contains(el));
    });
  }

  function parse(color) {
    const m = color.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1 };
  }
  const over = (top, bottom) => {
    const a = top.a + bottom.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (k) => (top[k] * top.a + bottom[k] * bottom.a * (1 - top.a)) / a;
    return { r: mix('r'), g: mix('g'), b: mix('b'), a };
  };
  function luminance(c) {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  }
  // The colour behind an element: backgrounds of it and its ancestors, composited bottom-up on white.
  // A background image (a gradient, a picture) cannot be judged here: null, and axe judges it.
  function background(el) {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage && style.backgroundImage !== 'none') return null;
      const c = parse(style.backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let result = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) result = over(layers[i], result);
    return result;
  }
  function opacity(el) {
    let o = 1;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) o *= Number(getComputedStyle(node).opacity);
    return o;
  }
  const ownText = (el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  const disabled = (el) => !!el.closest(':disabled, [aria-disabled="true"]');

  const all = [...document.body.querySelectorAll('*')].filter((el) => !['SCRIPT', 'STYLE', 'svg', 'SVG', 'TEMPLATE'].includes(el.tagName) && !el.closest('svg'));
  for (const el of all) {
    if (!ownText(el) || !visible(el) || !onTop(el) || disabled(el)) continue;
    const style = getComputedStyle(el);
    const back = background(el);
    if (!back) continue;
    const fore = parse(style.color);
    const alpha = fore.a * opacity(el);
    const seenColor = over({ ...fore, a: alpha }, back);
    const l1 = luminance(seenColor), l2 = luminance(back);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < __MIN_CONTRAST__) {
      report('contrast', el, `${ratio.toFixed(2)}:1 (${style.color} on rgb(${Math.round(back.r)}, ${Math.round(back.g)}, ${Math.round(back.b)})) "${el.textContent.trim().slice(0, 30)}"`);
    }
  }

  // Tap targets.
  const targets = new Set();
  document.body.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [hx-get], [hx-post]').forEach((el) => {
    const label = (el.tagName === 'INPUT' && /^(radio|checkbox)$/.test(el.type)) ? el.closest('label') : null;
    targets.add(label || el);
  });
  for (const el of targets) {
    if (!visible(el) || !onTop(el)) continue;
    if (el.tagName === 'A') {
      // A link in running text (a sentence, a table cell's words) is exempt: WCAG 2.5.8's inline case.
      const display = getComputedStyle(el).display;
      const parent = el.parentElement;
      if (display === 'inline' && parent && [...parent.childNodes].some((n) => n !== el && n.nodeType === 3 && n.textContent.trim())) continue;
    }
    const r = el.getBoundingClientRect();
    if (r.width + 0.5 < minTarget || r.height + 0.5 < minTarget) {
      report('target', el, `${Math.round(r.width)}×${Math.round(r.height)} px < ${minTarget} px "${(el.innerText || el.value || '').trim().slice(0, 30)}"`);
    }
  }

  // Horizontal overflow of the page, and who sticks out.
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    report('overflow', document.documentElement, `page is ${document.documentElement.scrollWidth} px wide in a ${width} px viewport`);
    for (const el of all) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.right > width + 1 && el.parentElement && el.parentElement.getBoundingClientRect().right <= width + 1) {
        report('overflow', el, `ends at ${Math.round(r.right)} px`);
      }
    }
  }

  // Clipped text: wider than its box (or taller, when the box hides what overflows).
  for (const el of all) {
    if (!ownText(el) || !visible(el)) continue;
    const style = getComputedStyle(el);
    if (/(auto|scroll)/.test(style.overflowX + style.overflowY)) continue;  // a scroll area on purpose
    if (style.textOverflow === 'ellipsis' && el.title) continue;           // truncated with the full text on hover
    const wide = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
    const tall = style.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1;
    if ((wide && style.display !== 'inline') || tall) {
      report('clipped', el, `text needs ${el.scrollWidth}×${el.scrollHeight} px in a ${el.clientWidth}×${el.clientHeight} px box "${el.textContent.trim().slice(0, 30)}"`);
    }
  }
  return problems;
}
