// The auditors' dashboard: reads the node's report API with a bearer token kept in
// sessionStorage and draws the figures with Chart.js. Every number shown comes from the API as
// it answered (rates are the API's strings), so the page and the reports never disagree.
"use strict";

(function () {
  const TOKEN_KEY = "lienthong.token";
  const $ = (id) => document.getElementById(id);
  const charts = {};

  function fragmentParams() {
    const out = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    return out;
  }

  function currentQuarter() {
    const d = new Date();
    return d.getFullYear() + "-Q" + (Math.floor(d.getMonth() / 3) + 1);
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

  async function api(path) {
    const res = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
    const body = await res.text();
    if (res.status === 401 || res.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      throw new Error("Mã truy cập không được chấp nhận (HTTP " + res.status + "): " + body);
    }
    if (!res.ok) throw new Error(path + ": HTTP " + res.status + ": " + body);
    return JSON.parse(body);
  }

  function cell(tr, text, key, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (key) td.dataset.k = key;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function chart(id, config) {
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    charts[id] = new Chart($(id), config);
  }

  // The quarters of the period's year up to the period's own, for the trend.
  function trendPeriods(period) {
    const m = /^(\d{4})/.exec(period);
    const year = m ? m[1] : String(new Date().getFullYear());
    return ["Q1", "Q2", "Q3", "Q4"].map((q) => year + "-" + q);
  }

  function rowFor(tbody, u, isTotal) {
    const tr = document.createElement("tr");
    tr.dataset.unit = u.unit;
    if (isTotal) tr.className = "total";
    else if (u.below_target) tr.className = "below";
    cell(tr, u.unit, "unit");
    cell(tr, u.name, "name", "name");
    cell(tr, String(u.level), "level");
    cell(tr, String(u.outgoing), "outgoing");
    cell(tr, String(u.electronic_only), "electronic_only");
    cell(tr, String(u.paper_only), "paper_only");
    cell(tr, String(u.both), "both");
    cell(tr, String(u.not_issued), "not_issued");
    cell(tr, u.electronic_rate, "electronic_rate");
    cell(tr, u.paper_rate, "paper_rate");
    cell(tr, u.target, "target");
    cell(tr, String(u.received), "received");
    // Units homed at a node below are counted from that node's signed summaries.
    cell(tr, isTotal ? "" : u.home_node + (u.source === "summary" ? " (tổng hợp)" : ""), "home_node");
    tbody.appendChild(tr);
  }

  async function load() {
    $("error").textContent = "";
    document.body.dataset.ready = "0";
    const period = $("period").value.trim();
    const info = await api("/api/v1/reports/units?period=" + encodeURIComponent(period));
    const homedBelow = info.units.filter((u) => u.home_node !== info.node).length;
    $("node-info").textContent = "Danh bạ " + info.directory + ", nút " + info.node + ": " + info.units.length + " đơn vị" +
      (homedBelow ? " (" + homedBelow + " tại các nút cấp dưới, theo số liệu tổng hợp có ký số)" : "");

    // Per level: one report each, its units in the table.
    const tbody = $("units-table").querySelector("tbody");
    tbody.textContent = "";
    const levelReports = [];
    for (const level of info.levels) {
      const rep = await api("/api/v1/reports/issuance?scope=level:" + level + "&period=" + encodeURIComponent(period));
      levelReports.push(rep);
      for (const u of rep.units) rowFor(tbody, u, false);
    }
    for (const rep of levelReports) rowFor(tbody, Object.assign({}, rep.total, { name: "Cấp " + rep.total.level }), true);
    const sources = $("sources");
    sources.textContent = "";
    const seen = new Set();
    for (const s of levelReports.flatMap((r) => r.summaries || [])) {
      if (seen.has(s.node)) continue;
      seen.add(s.node);
      const span = document.createElement("span");
      span.dataset.node = s.node;
      span.textContent = "Nút " + s.node + ": " + (s.last_received ? "tổng hợp nhận lúc " + s.last_received : "chưa nhận được số liệu tổng hợp") + ". ";
      sources.appendChild(span);
    }

    chart("chart-levels", {
      type: "bar",
      data: {
        labels: levelReports.map((r) => "Cấp " + r.total.level),
        datasets: [
          { label: "Điện tử %", data: levelReports.map((r) => Number(r.total.electronic_rate) || 0), backgroundColor: "#1565c0" },
          { label: "Giấy %", data: levelReports.map((r) => Number(r.total.paper_rate) || 0), backgroundColor: "#ef6c00" },
          { label: "Chỉ tiêu %", data: levelReports.map((r) => Number(r.total.target)), type: "line", borderColor: "#b71c1c", backgroundColor: "#b71c1c" },
        ],
      },
      options: { scales: { y: { min: 0, max: 100 } } },
    });

    const allUnits = levelReports.flatMap((r) => r.units);
    chart("chart-units", {
      type: "bar",
      data: {
        labels: allUnits.map((u) => u.unit),
        datasets: [
          { label: "Chỉ điện tử", data: allUnits.map((u) => u.electronic_only), backgroundColor: "#1565c0", stack: "s" },
          { label: "Cả hai", data: allUnits.map((u) => u.both), backgroundColor: "#6a1b9a", stack: "s" },
          { label: "Chỉ giấy", data: allUnits.map((u) => u.paper_only), backgroundColor: "#ef6c00", stack: "s" },
          { label: "Chưa phát hành", data: allUnits.map((u) => u.not_issued), backgroundColor: "#9e9e9e", stack: "s" },
        ],
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true } } },
    });

    const below = $("below");
    below.textContent = "";
    const belowUnits = allUnits.filter((u) => u.below_target);
    for (const u of belowUnits) {
      const li = document.createElement("li");
      li.dataset.unit = u.unit;
      li.textContent = u.unit + " " + u.name + ": " + u.electronic_rate + "% < " + u.target + "%";
      below.appendChild(li);
    }
    if (belowUnits.length === 0) below.innerHTML = "<li data-unit=\"\">Không có</li>";

    // PDF signatures and status latency of the whole node (every level together).
    const q = $("quality");
    q.textContent = "";
    for (const rep of levelReports) {
      const p = document.createElement("p");
      p.dataset.level = rep.total.level;
      const pdf = rep.pdf_signatures.measured
        ? rep.pdf_signatures.rate + "% (" + rep.pdf_signatures.both_valid + "/" + rep.pdf_signatures.attachments + " tệp PDF)"
        : "chưa đo (not measured)";
      const lat = rep.latency.map((l) => "trạng thái " + l.status + ": " +
        (l.count ? "trung vị " + (l.median_ms / 1000).toFixed(1) + " s, p90 " + (l.p90_ms / 1000).toFixed(1) + " s" : "chưa có")).join("; ");
      p.innerHTML = "<b>Cấp " + rep.total.level + "</b>: PDF đủ hai chữ ký hợp lệ: <span data-k=\"pdf\"></span><br>" +
        "Bị từ chối (02): <span data-k=\"rejected\"></span>, thu hồi (13): <span data-k=\"recalled\"></span><br><span data-k=\"latency\"></span>";
      p.querySelector("[data-k=pdf]").textContent = pdf;
      p.querySelector("[data-k=rejected]").textContent = String(rep.total.rejected);
      p.querySelector("[data-k=recalled]").textContent = String(rep.total.recalled);
      p.querySelector("[data-k=latency]").textContent = lat;
      q.appendChild(p);
    }

    // Trend: electronic rate per level over the quarters of the year.
    const quarters = trendPeriods(period);
    const trend = [];
    for (const rep of levelReports) {
      const values = [];
      for (const qp of quarters) {
        // A level may not have existed in every quarter (the districts before 1 July 2025).
        let t = null;
        try {
          t = await api("/api/v1/reports/issuance?scope=level:" + rep.total.level + "&period=" + qp);
        } catch (e) {
          if (!/HTTP 400/.test(e.message)) throw e;
        }
        values.push(t && t.total.outgoing ? Number(t.total.electronic_rate) : null);
      }
      trend.push({ label: "Cấp " + rep.total.level, data: values, spanGaps: true });
    }
    chart("chart-trend", {
      type: "line",
      data: { labels: quarters, datasets: trend },
      options: { scales: { y: { min: 0, max: 100 } } },
    });

    const cov = await api("/api/v1/reports/coverage");
    const note = $("coverage-note");
    if (cov.available) {
      note.dataset.rate = cov.coverage_rate;
      note.textContent = "Tổng: " + cov.covered + "/" + cov.needed + " (" + cov.coverage_rate + "%)";
      chart("chart-coverage", {
        type: "bar",
        data: {
          labels: cov.units.map((c) => c.unit),
          datasets: [
            { label: "Cần cấp", data: cov.units.map((c) => c.needed), backgroundColor: "#90a4ae" },
            { label: "Đã cấp (còn hiệu lực)", data: cov.units.map((c) => c.signers_valid), backgroundColor: "#2e7d32" },
          ],
        },
      });
    } else {
      note.dataset.rate = "";
      note.textContent = cov.reason;
    }

    const del = await api("/api/v1/reports/deliveries");
    $("delivery-kpi").innerHTML = "<span class=\"kpi\">Đang chờ<b data-k=\"pending\"></b></span><span class=\"kpi\">Thất bại<b data-k=\"failed\"></b></span>";
    $("delivery-kpi").querySelector("[data-k=pending]").textContent = String(del.pending);
    $("delivery-kpi").querySelector("[data-k=failed]").textContent = String(del.failed);
    chart("chart-deliveries", {
      type: "bar",
      data: {
        labels: del.buckets.map((b) => b.route + " / " + b.state),
        datasets: [{ label: "Số lần chuyển", data: del.buckets.map((b) => b.count), backgroundColor: del.buckets.map((b) => b.state === "failed" ? "#c62828" : "#f9a825") }],
      },
      options: { indexAxis: "y" },
    });
    const fb = $("failures").querySelector("tbody");
    fb.textContent = "";
    for (const f of del.recent_failures) {
      const tr = document.createElement("tr");
      cell(tr, f.document_id);
      cell(tr, f.recipient);
      cell(tr, String(f.attempts));
      cell(tr, f.last_error, null, "name");
      fb.appendChild(tr);
    }
    const bb = $("backlog").querySelector("tbody");
    bb.textContent = "";
    for (const b of del.backlog || []) {
      const tr = document.createElement("tr");
      tr.dataset.hop = b.hop;
      cell(tr, (b.route === "peer" ? "node " : "") + b.hop);
      cell(tr, String(b.pending), "backlog_pending");
      cell(tr, b.oldest, "backlog_oldest");
      bb.appendChild(tr);
    }
    document.body.dataset.ready = "1";
  }

  function showBoard() {
    $("login").hidden = true;
    $("board").hidden = false;
    load().catch((e) => {
      $("error").textContent = String(e.message || e);
      document.body.dataset.ready = "error";
      if (!token()) showLogin();
    });
  }

  function showLogin() {
    $("board").hidden = true;
    $("login").hidden = false;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const params = fragmentParams();
    if (params.get("token")) {
      sessionStorage.setItem(TOKEN_KEY, params.get("token"));
      params.delete("token");
      history.replaceState(null, "", window.location.pathname + (params.toString() ? "#" + params.toString() : ""));
    }
    $("period").value = params.get("period") || currentQuarter();
    $("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
      showBoard();
    });
    $("reload").addEventListener("click", () => showBoard());
    $("logout").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); showLogin(); });
    if (token()) showBoard();
    else showLogin();
  });
})();
