// Keyboard for the review app, as in alignment editors: j/k or ↓/↑ move between rows,
// c confirm, x reject, e edit, u undo, / search. The current row is remembered by its
// pair key (or, when an action removed that key, its position), so after the action's
// redraw the same row is current again and has the focus.
(() => {
  if (window.zhenAlignKeys) return;
  window.zhenAlignKeys = true;
  const CONFIRM = '[class*="st-key-confirm-"]';
  let current = { key: null, index: -1 };  // j goes to the first row

  const rows = () => [...document.querySelectorAll(CONFIRM)].map((cell) => {
    const key = [...cell.classList].find((c) => c.startsWith("st-key-confirm-")).slice(15);
    const inner = cell.closest('[data-testid="stHorizontalBlock"]');
    const row = inner.parentElement.closest('[data-testid="stHorizontalBlock"]') || inner;
    return { key, row };
  });

  const button = (action, key) =>
    document.querySelector(`.st-key-${action}-${key} button`);

  function show(focus) {
    const all = rows();
    if (!all.length) return;
    let at = all.findIndex((r) => r.key === current.key);
    if (at < 0) at = Math.max(0, Math.min(current.index, all.length - 1));
    current = { key: all[at].key, index: at };
    document.querySelectorAll(".kb-current").forEach((el) => {
      if (el !== all[at].row) { el.classList.remove("kb-current"); }
    });
    const row = all[at].row;
    row.classList.add("kb-current");
    row.setAttribute("tabindex", "-1");
    row.dataset.pairKey = all[at].key;
    if (focus && document.activeElement !== row) {
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    let at = all.findIndex((r) => r.key === current.key);
    at = Math.max(0, Math.min(all.length - 1, (at < 0 ? current.index : at) + step));
    current = { key: all[at].key, index: at };
    show(true);
  }

  function press(action) {
    if (!current.key) show(false);
    const b = current.key && button(action, current.key);
    if (b && !b.disabled) { current.wanted = true; b.click(); }
  }

  // Keys pressed in a text field are text. A radio button or checkbox takes no letters,
  // only arrows: after a filter is picked with the mouse its radio keeps the focus, and
  // the letters must still review (the arrows stay the radio group's).
  const CHOICE = ["radio", "checkbox"];
  const typing = (el) => el && (el.isContentEditable || ["TEXTAREA", "SELECT"].includes(el.tagName)
    || (el.tagName === "INPUT" && !CHOICE.includes(el.type)));
  const choosing = (el, key) => el && el.tagName === "INPUT" && CHOICE.includes(el.type)
    && key.startsWith("Arrow");

  window.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)
        || choosing(event.target, event.key)) return;
    const actions = {
      j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
      c: () => press("confirm"), x: () => press("reject"), e: () => press("open"),
      u: () => { const b = document.querySelector(".st-key-undo button"); if (b && !b.disabled) b.click(); },
      "/": () => { const s = document.querySelector(".st-key-query input"); if (s) s.focus(); },
    };
    const run = actions[event.key];
    if (!run) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    run();
  }, true);

  // A multiselect is taller while it has the focus (its text cursor takes a line of its
  // own). Pressing a button below it blurred it first, the button moved up ~30 px under
  // the pointer, the press ended off the button and the click was lost: the reviewer's
  // first "Take it" after choosing a counterpart did nothing. While a multiselect has the
  // focus, pressing a button leaves the focus where it is (its choice is already sent),
  // so the button stays put and the click lands. Only a multiselect: a focused selectbox
  // (the sidebar's pair) keeps its height, and a click moves the focus away as usual.
  window.addEventListener("mousedown", (event) => {
    const active = document.activeElement;
    if (event.button === 0 && active && active.closest('[data-testid="stMultiSelect"]')
        && event.target.closest("button")) event.preventDefault();
  }, true);

  // Streamlit redraws the rows after every action: put the marker (and focus) back.
  new MutationObserver(() => { if (current.key) show(current.wanted); })
    .observe(document.body, { childList: true, subtree: true });
})();
