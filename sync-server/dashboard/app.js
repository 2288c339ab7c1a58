// The issuance-center dashboard: plain ES module, no build step, served by qafila-server itself.
// Every text goes through t(); every value from the server is set as text, never parsed as HTML.

const TEXT = {
  fr: {
    title: "Qafila — centre d'émission",
    login: "Connexion du personnel", id: "Identifiant", password: "Mot de passe", sign_in: "Se connecter",
    sign_out: "Déconnexion", other_lang: "العربية",
    tab_overview: "Vue d'ensemble", tab_application: "Dossier", tab_vans: "Camions", tab_staff: "Personnel", tab_audit: "Journal",
    queues: "Files par centre", center: "Centre", rabat: "Rabat", marrakech: "Marrakech",
    q_received: "Reçus", q_accepted: "Acceptés", q_rejected: "Rejetés", q_recapture_requested: "Reprise demandée",
    q_printed: "Imprimés", q_delivered: "Remis",
    fleet: "Flotte", van: "Camion", last_contact: "Dernier contact", backlog: "En attente", version: "Version",
    awaiting: "Attendent la biométrie",
    key: "Clé", freeze: "Gel", journal: "Journal", warnings: "Alertes", never: "jamais",
    hours_ago: (n) => (n < 1 ? "il y a moins d'une heure" : `il y a ${n} h`),
    active: "active", revoked: "révoquée", intact: "intact", broken: "rompu",
    f_ok: "normal", f_warn: "alerte", f_blocked: "bloqué",
    w_revoked: "révoqué", w_never_seen: "jamais vu", w_silent: "silencieux", w_journal_broken: "journal rompu",
    w_frozen: "gelé", w_clock: "horloge fausse",
    search: "Rechercher un dossier", search_hint: "Début de l'identifiant (au moins 4 caractères)", find: "Chercher",
    no_result: "Aucun dossier ne commence par ces caractères.",
    status: "Statut", routed_to: "Centre", updated: "Mis à jour", open: "Ouvrir",
    male: "Masculin", female: "Féminin",
    civil: "État civil", family_name: "Nom", given_names: "Prénoms", sex: "Sexe", birth: "Naissance",
    fingers: "Empreintes", quality: "qualité", exception: "exception", no_portrait: "Pas de portrait",
    review: "Décision", accept: "Accepter", reject: "Rejeter", reason: "Motif du rejet",
    recapture: "Demander une reprise", items: "Éléments à reprendre", note: "Note pour l'opérateur",
    portrait: "Portrait", documents: "Pièces", civil_item: "État civil", finger: (n) => `Doigt ${n}`,
    not_reviewable: "Ce dossier n'attend pas de décision ici.",
    decided: "Décision enregistrée ; le camion la recevra à sa prochaine synchronisation.",
    register_van: "Enregistrer un camion", van_key: "Clé publique ed25519 (hex)", van_recipient: "Destinataire age",
    register: "Enregistrer", revoke: "Révoquer", confirm_revoke: (id) => `Révoquer le camion ${id} ? Ses prochains lots seront refusés.`,
    staff: "Personnel", display_name: "Nom affiché", role: "Rôle", save: "Enregistrer", disable: "Désactiver",
    viewer: "lecteur", reviewer: "vérificateur", administrator: "administrateur", disabled: "désactivé",
    audit: "Journal d'audit", when: "Quand", who: "Qui", action: "Action", target: "Objet", detail: "Détail",
    live: "Mise à jour en direct", offline: "Connexion au serveur perdue : nouvelle tentative…",
    e_bad_credentials: "Identifiant ou mot de passe incorrect.",
    e_no_session: "Session terminée : reconnectez-vous.",
    e_csrf: "Jeton de sécurité absent : rechargez la page.",
    e_forbidden: "Votre rôle ne permet pas cette action.",
    e_not_found: "Introuvable.",
    e_network: "Le serveur ne répond pas. Vérifiez la connexion et réessayez.",
  },
  ar: {
    title: "قافلة — مركز الإصدار",
    login: "دخول الموظفين", id: "المعرّف", password: "كلمة المرور", sign_in: "دخول",
    sign_out: "خروج", other_lang: "Français",
    tab_overview: "نظرة عامة", tab_application: "ملف", tab_vans: "الشاحنات", tab_staff: "الموظفون", tab_audit: "السجل",
    queues: "الطوابير حسب المركز", center: "المركز", rabat: "الرباط", marrakech: "مراكش",
    q_received: "مستلمة", q_accepted: "مقبولة", q_rejected: "مرفوضة", q_recapture_requested: "إعادة التقاط مطلوبة",
    q_printed: "مطبوعة", q_delivered: "مسلَّمة",
    fleet: "الأسطول", van: "الشاحنة", last_contact: "آخر اتصال", backlog: "في الانتظار", version: "الإصدار",
    awaiting: "بانتظار البيانات البيومترية",
    key: "المفتاح", freeze: "التجميد", journal: "السجل", warnings: "تنبيهات", never: "أبدًا",
    hours_ago: (n) => (n < 1 ? "منذ أقل من ساعة" : `منذ ${n} ساعة`),
    active: "نشط", revoked: "ملغى", intact: "سليم", broken: "مكسور",
    f_ok: "عادي", f_warn: "تنبيه", f_blocked: "محظور",
    w_revoked: "ملغاة", w_never_seen: "لم تتصل قط", w_silent: "صامتة", w_journal_broken: "سجل مكسور",
    w_frozen: "مجمدة", w_clock: "ساعة خاطئة",
    search: "البحث عن ملف", search_hint: "بداية المعرّف (4 أحرف على الأقل)", find: "بحث",
    no_result: "لا يوجد ملف يبدأ بهذه الأحرف.",
    status: "الحالة", routed_to: "المركز", updated: "آخر تحديث", open: "فتح",
    male: "ذكر", female: "أنثى",
    civil: "الحالة المدنية", family_name: "الاسم العائلي", given_names: "الاسم الشخصي", sex: "الجنس", birth: "الولادة",
    fingers: "البصمات", quality: "الجودة", exception: "استثناء", no_portrait: "لا توجد صورة",
    review: "القرار", accept: "قبول", reject: "رفض", reason: "سبب الرفض",
    recapture: "طلب إعادة الالتقاط", items: "العناصر المطلوب إعادتها", note: "ملاحظة للمشغّل",
    portrait: "الصورة", documents: "الوثائق", civil_item: "الحالة المدنية", finger: (n) => `الإصبع ${n}`,
    not_reviewable: "هذا الملف لا ينتظر قرارًا هنا.",
    decided: "تم تسجيل القرار؛ ستتلقاه الشاحنة عند المزامنة القادمة.",
    register_van: "تسجيل شاحنة", van_key: "المفتاح العام ed25519 (hex)", van_recipient: "مستلم age",
    register: "تسجيل", revoke: "إلغاء", confirm_revoke: (id) => `إلغاء الشاحنة ${id}؟ سترفض دفعاتها القادمة.`,
    staff: "الموظفون", display_name: "الاسم الظاهر", role: "الدور", save: "حفظ", disable: "تعطيل",
    viewer: "مطّلع", reviewer: "مراجع", administrator: "مسؤول", disabled: "معطّل",
    audit: "سجل التدقيق", when: "متى", who: "من", action: "الإجراء", target: "الموضوع", detail: "التفاصيل",
    live: "تحديث مباشر", offline: "انقطع الاتصال بالخادم: إعادة المحاولة…",
    e_bad_credentials: "المعرّف أو كلمة المرور غير صحيحة.",
    e_no_session: "انتهت الجلسة: سجّل الدخول من جديد.",
    e_csrf: "رمز الأمان مفقود: أعد تحميل الصفحة.",
    e_forbidden: "دورك لا يسمح بهذا الإجراء.",
    e_not_found: "غير موجود.",
    e_network: "الخادم لا يجيب. تحقق من الاتصال وأعد المحاولة.",
  },
};

const state = { lang: localStorage.getItem("qafila.lang") || "fr", session: null, center: "", tab: "overview", events: null };

function t(key, ...args) {
  const v = TEXT[state.lang][key] ?? TEXT.fr[key] ?? key;
  return typeof v === "function" ? v(...args) : v;
}

/** Builds an element; strings become text nodes (never HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && state.session) headers["x-csrf-token"] = state.session.csrf;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "network", t("e_network"));
  }
  if (resp.status === 204) return null;
  const type = resp.headers.get("content-type") || "";
  const data = type.includes("json") ? await resp.json() : await resp.blob();
  if (!resp.ok) {
    const code = data?.code || "error";
    if (code === "no_session") showLogin();
    throw new ApiError(resp.status, code, TEXT[state.lang][`e_${code}`] || data?.message || resp.statusText);
  }
  return data;
}

function toast(msg, kind = "") {
  const el = document.getElementById("toast");
  el.textContent = msg;
  el.className = kind;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 5000);
}

function applyLang() {
  document.documentElement.lang = state.lang;
  document.documentElement.dir = state.lang === "ar" ? "rtl" : "ltr";
  document.title = t("title");
}

function fmtTime(iso) {
  if (!iso) return t("never");
  const d = new Date(iso);
  return d.toLocaleString(state.lang === "ar" ? "ar-MA" : "fr-MA", { dateStyle: "short", timeStyle: "short" });
}

function main(...children) {
  const m = document.getElementById("main");
  m.replaceChildren(...children);
}

// ---- login ----

function showLogin(message) {
  state.session = null;
  state.events?.close();
  document.getElementById("bar").hidden = true;
  const err = h("p", { class: "error", id: "login-error", role: "alert" }, message || "");
  const form = h(
    "form",
    { class: "login", id: "login-form" },
    h("h1", {}, t("login")),
    h("label", {}, t("id"), h("input", { name: "id", id: "login-id", autocomplete: "username", required: true })),
    h("label", {}, t("password"), h("input", { name: "password", id: "login-password", type: "password", autocomplete: "current-password", required: true })),
    err,
    h("button", { class: "primary", type: "submit", id: "login-submit" }, t("sign_in")),
    h("button", { class: "link", type: "button", onclick: () => switchLang(showLogin) }, t("other_lang")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    try {
      state.session = await api("POST", "/api/session", { id: fd.get("id"), password: fd.get("password") });
      await start();
    } catch (x) {
      err.textContent = x.message;
    }
  });
  main(form);
  form.querySelector("input").focus();
}

function switchLang(then) {
  state.lang = state.lang === "fr" ? "ar" : "fr";
  localStorage.setItem("qafila.lang", state.lang);
  applyLang();
  then();
}

// ---- shell ----

const TABS = [
  ["overview", "viewer"],
  ["application", "viewer"],
  ["vans", "administrator"],
  ["staff", "administrator"],
  ["audit", "administrator"],
];
const RANK = { viewer: 0, reviewer: 1, administrator: 2 };
const can = (role) => RANK[state.session?.role] >= RANK[role];

function renderBar() {
  const bar = document.getElementById("bar");
  bar.hidden = false;
  document.getElementById("center-name").textContent = `Qafila · ${t(state.center)}`;
  document.getElementById("who").textContent = `${state.session.display_name} (${t(state.session.role)})`;
  const lang = document.getElementById("lang");
  lang.textContent = t("other_lang");
  lang.onclick = () => switchLang(() => { renderBar(); show(state.tab); });
  const out = document.getElementById("logout");
  out.textContent = t("sign_out");
  out.onclick = async () => {
    try { await api("DELETE", "/api/session"); } catch { /* signed out either way */ }
    showLogin();
  };
  const tabs = document.getElementById("tabs");
  tabs.replaceChildren(
    ...TABS.filter(([, role]) => can(role)).map(([name]) =>
      h("button", { type: "button", role: "tab", id: `tab-${name}`, "aria-selected": state.tab === name ? "true" : "false", onclick: () => show(name) }, t(`tab_${name}`)),
    ),
  );
}

async function start() {
  const onOverview = !location.hash.startsWith("#app/");
  // Both at once: the first screen waits for one round trip, not two.
  const [who, first] = await Promise.all([
    api("GET", "/api/session"),
    onOverview ? api("GET", "/api/overview").catch(() => null) : Promise.resolve(null),
  ]);
  state.center = who.center;
  state.session = who.session;
  renderBar();
  if (first) {
    renderOverview(first);
    // The bench (sync-server/benches/dashboard.rs) reads this: the first frame drawn with the data.
    requestAnimationFrame(() => performance.mark("qafila:first-paint"));
  } else {
    await show(onOverview ? "overview" : "application");
  }
  state.events?.close();
  state.events = new EventSource("/api/events");
  let primed = false;
  state.events.addEventListener("changed", () => {
    // The server announces its current state on connect; only later changes need a refresh.
    if (!primed) {
      primed = true;
      return;
    }
    if (state.tab === "overview") show("overview", { quiet: true });
  });
  state.events.onerror = () => {
    if (state.session) toast(t("offline"), "warn");
  };
}

async function show(tab, opts = {}) {
  state.tab = tab;
  renderBar();
  try {
    if (tab === "overview") await showOverview(opts);
    else if (tab === "application") await showApplication(location.hash.startsWith("#app/") ? location.hash.slice(5) : "");
    else if (tab === "vans") await showVans();
    else if (tab === "staff") await showStaff();
    else if (tab === "audit") await showAudit();
  } catch (x) {
    if (x.code !== "no_session") main(h("p", { class: "error", role: "alert" }, x.message));
  }
}

// ---- overview ----

async function showOverview() {
  renderOverview(await api("GET", "/api/overview"));
}

function renderOverview(o) {
  const queues = o.queues;
  const qnames = ["received", "accepted", "rejected", "recapture_requested", "printed", "delivered"];
  const queueTable = h(
    "table",
    { id: "queues" },
    h("thead", {}, h("tr", {}, h("th", {}, t("center")), ...qnames.map((q) => h("th", {}, t(`q_${q}`))))),
    h("tbody", {}, ...Object.keys(queues).map((c) =>
      h("tr", {}, h("th", {}, t(c)), ...qnames.map((q) => h("td", { class: "num", "data-queue": `${c}.${q}` }, (queues[c][q] ?? 0).toLocaleString(state.lang === "ar" ? "ar-MA" : "fr-FR")))),
    )),
  );
  const fleet = h(
    "table",
    { id: "fleet" },
    h("thead", {}, h("tr", {}, ...["van", "last_contact", "backlog", "awaiting", "version", "key", "freeze", "journal", "warnings"].map((k) => h("th", {}, t(k))))),
    h("tbody", {}, ...o.fleet.map((v) => {
      const r = v.report || {};
      return h(
        "tr",
        { "data-van": v.id },
        h("td", {}, v.id),
        h("td", { title: fmtTime(v.last_contact) }, v.hours_silent === null ? t("never") : t("hours_ago", v.hours_silent)),
        h("td", { class: "num" }, r.backlog ?? "—"),
        h("td", { class: "num", title: v.awaiting_blobs ? fmtTime(v.awaiting_blobs.since) : "" }, v.awaiting_blobs ? v.awaiting_blobs.documents : "—"),
        h("td", {}, r.app_version ?? "—"),
        h("td", { class: v.key_status === "revoked" ? "bad" : "ok" }, t(v.key_status)),
        h("td", { class: r.freeze === "blocked" ? "bad" : r.freeze === "warn" ? "warn" : "" }, r.freeze ? t(`f_${r.freeze}`) : "—"),
        h("td", { class: r.journal_intact === false ? "bad" : "" }, r.journal_intact === undefined ? "—" : t(r.journal_intact ? "intact" : "broken")),
        h("td", {}, ...v.warnings.map((w) => h("span", { class: "pill warn" }, t(`w_${w}`)))),
      );
    })),
  );
  main(
    h("section", { class: "card" }, h("h1", {}, t("queues")), queueTable),
    h("section", { class: "card" }, h("h2", {}, `${t("fleet")} (${o.fleet.length})`), fleet),
  );
}

// ---- application ----

async function showApplication(id) {
  const input = h("input", { id: "search-input", placeholder: t("search_hint"), value: id || "", dir: "ltr", size: 40 });
  const results = h("div", { id: "search-results" });
  const detail = h("div", { id: "detail" });
  const form = h("form", { class: "row", id: "search-form" }, h("label", { class: "grow" }, t("search"), input), h("button", { class: "primary", type: "submit" }, t("find")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    results.replaceChildren();
    try {
      const r = await api("GET", `/api/applications?q=${encodeURIComponent(input.value.trim())}`);
      if (!r.items.length) results.replaceChildren(h("p", {}, t("no_result")));
      else if (r.items.length === 1) openApplication(r.items[0].id, detail);
      else results.replaceChildren(resultTable(r.items, detail));
    } catch (x) {
      results.replaceChildren(h("p", { class: "error", role: "alert" }, x.message));
    }
  });
  main(h("section", { class: "card" }, form, results), detail);
  if (id) openApplication(id, detail);
  input.focus();
}

function resultTable(items, detail) {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...["id", "status", "routed_to", "updated"].map((k) => h("th", {}, t(k))))),
    h("tbody", {}, ...items.map((d) =>
      h("tr", {}, h("td", { dir: "ltr" }, h("button", { class: "link", type: "button", onclick: () => openApplication(d.id, detail) }, d.id)), h("td", {}, d.status), h("td", {}, t(d.routed_to)), h("td", {}, fmtTime(d.updated_at))),
    )),
  );
}

async function openApplication(id, detail) {
  location.hash = `app/${id}`;
  try {
    const a = await api("GET", `/api/applications/${encodeURIComponent(id)}`);
    detail.replaceChildren(applicationView(a));
    if (a.record.portrait) {
      try {
        const img = await api("GET", `/api/applications/${encodeURIComponent(id)}/portrait`);
        detail.querySelector("img.portrait").src = URL.createObjectURL(img);
      } catch { /* the portrait blob may not have replicated yet */ }
    }
  } catch (x) {
    detail.replaceChildren(h("p", { class: "error", role: "alert" }, x.message));
  }
}

function nameOf(n) {
  return [n?.latin, n?.arabic].filter(Boolean).join(" · ");
}

function applicationView(a) {
  const r = a.record;
  const c = r.civil || {};
  const dob = c.birth_date ?? "—";
  const place = c.birth_place ? [c.birth_place.commune || c.birth_place.city, c.birth_place.province || c.birth_place.country].filter(Boolean).join(", ") : "—";
  const fingers = Object.entries(r.fingerprints || {}).map(([pos, f]) =>
    h("tr", {}, h("td", {}, t("finger", pos)), h("td", { class: f.state === "impression" && f.quality < 40 ? "warn" : "" }, f.state === "impression" ? `${t("quality")} ${f.quality}` : `${t("exception")}: ${f.exception}`)),
  );
  const status = a.record.application.status;
  const statusName = typeof status === "string" ? status : status.state || Object.keys(status)[0] || "";
  const statusText = a.queue ? t(`q_${a.queue}`) : statusName;
  return h(
    "section",
    { class: "card", id: "application", "data-id": a.id },
    h("h1", { dir: "ltr" }, a.id),
    h("p", {}, h("span", { class: "pill", id: "app-status", "data-status": statusName }, statusText), " ", t(a.routed_to)),
    status.items ? h("p", { id: "app-requested" }, `${t("items")} : ${status.items.join(", ")}${status.note ? ` — ${status.note}` : ""}`) : null,
    status.reason ? h("p", { id: "app-reason" }, `${t("reason")} : ${status.reason}`) : null,
    h(
      "div",
      { class: "row" },
      r.portrait ? h("img", { class: "portrait", alt: t("portrait") }) : h("p", {}, t("no_portrait")),
      h(
        "div",
        { class: "grow" },
        h("h2", {}, t("civil")),
        h("dl", {}, h("dt", {}, t("family_name")), h("dd", {}, nameOf(c.family_name)), h("dt", {}, t("given_names")), h("dd", {}, nameOf(c.given_names)), h("dt", {}, t("sex")), h("dd", {}, c.sex ? t(c.sex) : "—"), h("dt", {}, t("birth")), h("dd", {}, `${dob} · ${place}`)),
      ),
      h("div", { class: "grow" }, h("h2", {}, t("fingers")), h("table", {}, h("tbody", {}, ...fingers))),
    ),
    a.reviewable && can("reviewer") ? reviewForm(a) : h("p", { class: "muted" }, a.reviewable ? "" : t("not_reviewable")),
  );
}

function reviewForm(a) {
  const msg = h("p", { role: "status", id: "review-message" });
  const decide = async (body) => {
    try {
      await api("POST", `/api/applications/${encodeURIComponent(a.id)}/decision`, body);
      toast(t("decided"));
      openApplication(a.id, document.getElementById("detail"));
    } catch (x) {
      msg.textContent = x.message;
      msg.className = "error";
    }
  };
  const reason = h("input", { id: "reject-reason" });
  const note = h("input", { id: "recapture-note" });
  const itemNames = ["portrait", ...Array.from({ length: 10 }, (_, i) => `fingerprints.${i + 1}`), "documents", "civil"];
  const boxes = itemNames.map((it) => {
    const label = it === "civil" ? t("civil_item") : it.startsWith("fingerprints.") ? t("finger", it.split(".")[1]) : t(it);
    return h("label", { class: "check" }, h("input", { type: "checkbox", value: it, name: "item", "data-item": it }), label);
  });
  return h(
    "div",
    { id: "review" },
    h("h2", {}, t("review")),
    h("div", { class: "row" }, h("button", { class: "primary", type: "button", id: "accept", onclick: () => decide({ decision: "accept" }) }, t("accept"))),
    h("div", { class: "row" }, h("label", { class: "grow" }, t("reason"), reason), h("button", { class: "danger", type: "button", id: "reject", onclick: () => decide({ decision: "reject", reason: reason.value }) }, t("reject"))),
    h("fieldset", {}, h("legend", {}, t("items")), h("div", { class: "items" }, ...boxes), h("label", {}, t("note"), note)),
    h("button", { class: "primary", type: "button", id: "recapture", onclick: () => decide({ decision: "recapture", items: boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value), note: note.value }) }, t("recapture")),
    msg,
  );
}

// ---- administration ----

async function showVans() {
  const o = await api("GET", "/api/overview");
  const f = h("form", { class: "row", id: "van-form" },
    h("label", {}, t("van"), h("input", { name: "id", required: true })),
    h("label", { class: "grow" }, t("van_key"), h("input", { name: "key", required: true, dir: "ltr" })),
    h("label", { class: "grow" }, t("van_recipient"), h("input", { name: "recipient", required: true, dir: "ltr" })),
    h("button", { class: "primary", type: "submit" }, t("register")));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = new FormData(f);
    try {
      await api("POST", "/api/vans", { id: d.get("id"), key: d.get("key"), recipient: d.get("recipient") });
      show("vans");
    } catch (x) { toast(x.message, "bad"); }
  });
  const rows = o.fleet.map((v) => h("tr", {}, h("td", {}, v.id), h("td", {}, t(v.key_status)), h("td", {}, fmtTime(v.registered_at)),
    h("td", {}, v.key_status === "active" ? h("button", { class: "danger", type: "button", onclick: async () => {
      if (!confirm(t("confirm_revoke", v.id))) return;
      try { await api("POST", `/api/vans/${encodeURIComponent(v.id)}/revoke`); show("vans"); } catch (x) { toast(x.message, "bad"); }
    } }, t("revoke")) : "")));
  main(h("section", { class: "card" }, h("h1", {}, t("register_van")), f), h("section", { class: "card" }, h("table", {}, h("tbody", {}, ...rows))));
}

async function showStaff() {
  const list = await api("GET", "/api/staff");
  const f = h("form", { class: "row", id: "staff-form" },
    h("label", {}, t("id"), h("input", { name: "id", required: true })),
    h("label", {}, t("display_name"), h("input", { name: "display_name", required: true })),
    h("label", {}, t("role"), h("select", { name: "role" }, ...["viewer", "reviewer", "administrator"].map((r) => h("option", { value: r }, t(r))))),
    h("label", {}, t("password"), h("input", { name: "password", type: "password", required: true, minlength: 12, autocomplete: "new-password" })),
    h("button", { class: "primary", type: "submit" }, t("save")));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = Object.fromEntries(new FormData(f));
    try { await api("POST", "/api/staff", d); show("staff"); } catch (x) { toast(x.message, "bad"); }
  });
  const rows = list.staff.map((s) => h("tr", {}, h("td", {}, s.id), h("td", {}, s.display_name), h("td", {}, t(s.role)),
    h("td", {}, s.disabled_at ? t("disabled") : s.id === state.session.id ? "" : h("button", { class: "danger", type: "button", onclick: async () => {
      try { await api("POST", `/api/staff/${encodeURIComponent(s.id)}/disable`); show("staff"); } catch (x) { toast(x.message, "bad"); }
    } }, t("disable")))));
  main(h("section", { class: "card" }, h("h1", {}, t("staff")), f), h("section", { class: "card" }, h("table", {}, h("tbody", {}, ...rows))));
}

async function showAudit() {
  const a = await api("GET", "/api/audit");
  main(h("section", { class: "card" }, h("h1", {}, t("audit")), h("table", { id: "audit" },
    h("thead", {}, h("tr", {}, ...["when", "who", "action", "target", "detail"].map((k) => h("th", {}, t(k))))),
    h("tbody", {}, ...a.entries.map((e) => h("tr", {}, h("td", {}, fmtTime(e.at)), h("td", {}, e.staff_id), h("td", {}, e.action), h("td", { dir: "ltr" }, e.target ?? ""), h("td", {}, e.detail ?? "")))))));
}

// ---- boot ----

applyLang();
start().catch((x) => showLogin(x.code === "no_session" ? "" : x.message));
