// The exam page: autosave within ~1 s of a change, keep unsent answers in localStorage across
// network drops and reloads, and show the server's remaining time. Keys never reach this page.
(function () {
  "use strict";
  const root = document.getElementById("exam");
  if (!root) return;
  const state = JSON.parse(document.getElementById("exam-state").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const storeKey = "exam-attempt-" + state.attempt;
  const status = document.getElementById("save-status");
  const countdown = document.getElementById("countdown");
  const sections = Array.from(root.querySelectorAll("section.q"));
  const byPos = new Map(sections.map((s) => [Number(s.dataset.position), s]));

  let pending = {};
  try { pending = JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { pending = {}; }
  let seq = state.max_seq;
  for (const p of Object.values(pending)) seq = Math.max(seq, p.seq);
  let inflight = false, timer = null, finished = false;

  // Only answers the server has not acknowledged stay on this computer (exam-room PCs are shared).
  function persist() {
    try {
      if (Object.keys(pending).length) localStorage.setItem(storeKey, JSON.stringify(pending));
      else localStorage.removeItem(storeKey);
    } catch (e) { /* storage full: server copy remains */ }
  }
  function setStatus(text, cls) { status.textContent = text; status.className = cls || "muted"; }

  function read(section) {
    const type = section.dataset.type;
    if (type === "true_false" || type === "single") {
      const c = section.querySelector("input[type=radio]:checked");
      if (!c) return null;
      return type === "true_false" ? c.value === "true" : c.value;
    }
    if (type === "multiple") {
      return Array.from(section.querySelectorAll("input[type=checkbox]:not(.flag-box):checked")).map((c) => c.value);
    }
    if (type === "fill_blank") return Array.from(section.querySelectorAll("input.blank")).map((i) => i.value);
    return section.querySelector("textarea").value;
  }

  function write(section, response, flagged) {
    const type = section.dataset.type;
    if (type === "true_false" || type === "single") {
      const want = response === null || response === undefined ? null : String(response);
      section.querySelectorAll("input[type=radio]").forEach((r) => { r.checked = r.value === want; });
    } else if (type === "multiple") {
      const set = new Set(response || []);
      section.querySelectorAll("input[type=checkbox]:not(.flag-box)").forEach((c) => { c.checked = set.has(c.value); });
    } else if (type === "fill_blank") {
      section.querySelectorAll("input.blank").forEach((inp, i) => { inp.value = (response || [])[i] || ""; });
    } else {
      section.querySelector("textarea").value = response || "";
    }
    section.querySelector(".flag-box").checked = !!flagged;
  }

  function answered(response) {
    if (response === null || response === undefined) return false;
    if (Array.isArray(response)) return response.some((x) => String(x).trim() !== "");
    return String(response).trim() !== "";
  }

  function paintNav(section) {
    const nav = document.getElementById("nav-" + section.dataset.position);
    nav.classList.toggle("answered", answered(read(section)));
    nav.classList.toggle("flagged", section.querySelector(".flag-box").checked);
    summary.textContent = "(已答 " + root.querySelectorAll(".nav-grid .nav.answered").length + " / " + sections.length + ")";
  }

  // On a phone (or at high zoom) the navigator folds away above the questions; picking a number folds it again.
  const navBox = document.getElementById("navigator");
  const summary = document.getElementById("nav-summary");
  const narrow = window.matchMedia("(max-width: 760px)");
  if (narrow.matches) navBox.open = false;
  navBox.addEventListener("click", (ev) => { if (ev.target.matches("a.nav") && narrow.matches) navBox.open = false; });

  function changed(section) {
    if (finished) return;
    const pos = Number(section.dataset.position);
    seq += 1;
    pending[pos] = { item: pos, response: read(section), flagged: section.querySelector(".flag-box").checked, seq: seq };
    persist();
    paintNav(section);
    setStatus("待保存…");
    clearTimeout(timer);
    timer = setTimeout(flush, 800);
  }

  async function flush() {
    if (inflight || finished) return;
    const batch = Object.values(pending);
    if (!batch.length) return;
    inflight = true;
    setStatus("保存中…");
    try {
      const res = await fetch(root.dataset.saveUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ answers: batch, paper: state.paper }),
      });
      const body = await res.json().catch(() => ({}));
      if (res.ok) {
        for (const sent of batch) {
          if (pending[sent.item] && pending[sent.item].seq <= sent.seq) delete pending[sent.item];
        }
        persist();
        syncClock(body.remaining_seconds);
        setStatus(Object.keys(pending).length ? "待保存…" : "已保存 " + new Date().toLocaleTimeString("zh-CN"), "ok");
      } else if (res.status === 409) {
        finish(body.error || "考试已结束。");
      } else if (res.status === 401) {
        setStatus("登录已失效, 答案已保存在本机; 请重新登录后继续。", "error");
      } else {
        setStatus("保存失败: " + (body.error || res.status) + "; 稍后重试", "error");
      }
    } catch (e) {
      setStatus("网络中断, 答案已暂存在本机, 恢复后自动上传", "error");
    } finally {
      inflight = false;
      if (Object.keys(pending).length && !finished) { clearTimeout(timer); timer = setTimeout(flush, 3000); }
    }
  }

  let deadline = performance.now() + state.remaining_seconds * 1000;
  function syncClock(remaining) {
    if (typeof remaining === "number") deadline = performance.now() + remaining * 1000;
  }
  function tick() {
    const left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
    const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    countdown.textContent = (h ? h + ":" : "") + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    countdown.classList.toggle("low", left < 300);
    if (left === 0 && !finished) timeUp();
  }
  async function timeUp() {
    await flush();
    finish("考试时间到, 已按保存的答案收卷。");
  }
  function finish(message) {
    finished = true;
    clearTimeout(timer);
    localStorage.removeItem(storeKey);
    setStatus(message, "error");
    root.querySelectorAll("input, textarea, button").forEach((el) => { el.disabled = true; });
    setTimeout(() => { window.location.href = root.dataset.resultUrl; }, 1500);
  }
  async function resync() {
    try {
      const res = await fetch(root.dataset.stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (res.ok) {
        const body = await res.json();
        if (body.state !== "in_progress") finish("考试已结束。"); else syncClock(body.remaining_seconds);
      }
    } catch (e) { /* offline: keep counting locally */ }
  }

  // Restore: the server's saved answers, then anything newer this browser had not sent yet.
  for (const [pos, a] of Object.entries(state.answers)) {
    const section = byPos.get(Number(pos));
    if (!section) continue;
    if (pending[pos] && pending[pos].seq <= a.seq) delete pending[pos];
    write(section, a.response, a.flagged);
  }
  for (const p of Object.values(pending)) { const s = byPos.get(p.item); if (s) write(s, p.response, p.flagged); }
  sections.forEach(paintNav);
  persist();

  root.addEventListener("change", (ev) => { const s = ev.target.closest("section.q"); if (s) changed(s); });
  root.addEventListener("input", (ev) => {
    if (ev.target.matches("textarea, input.blank")) { const s = ev.target.closest("section.q"); if (s) changed(s); }
  });
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flush(); });
  document.getElementById("submit-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const left = sections.filter((s) => !answered(read(s))).length;
    if (!window.confirm(left ? "还有 " + left + " 题未作答, 确定交卷吗?" : "确定交卷吗?")) return;
    clearTimeout(timer);
    await flush();
    if (Object.keys(pending).length) { setStatus("有答案尚未保存到服务器, 请检查网络后再交卷", "error"); return; }
    localStorage.removeItem(storeKey);
    finished = true;
    ev.target.submit();
  });
  if (Object.keys(pending).length) flush();
  tick();
  setInterval(tick, 1000);
  setInterval(resync, 30000);
})();
