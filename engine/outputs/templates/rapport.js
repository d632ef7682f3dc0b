{% raw %}
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("rapport-data").textContent);
  var keuze = document.getElementById("school-keuze");
  var views = [];
  var tabellen = [];

  function esc(value) {
    return String(value === null || value === undefined ? "" : value).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  function getal(n) { return n.toLocaleString("nl-NL"); }
  function vergelijk(a, b) {
    if (typeof a === "number" && typeof b === "number") { return a - b; }
    return String(a).localeCompare(String(b), "nl", { numeric: true });
  }

  // Charts: Vega-Lite via the inlined vega-embed, drawn as SVG.
  var wachten = Object.keys(data.grafieken).map(function (naam) {
    return vegaEmbed("#grafiek-" + naam, data.grafieken[naam],
                     { renderer: "svg", actions: false, formatLocale: data.locale })
      .then(function (result) { views.push(result.view); });
  });
  Promise.all(wachten).then(function () {
    document.body.setAttribute("data-grafieken", "klaar");
    document.body.setAttribute("data-klaar-ms", String(Math.round(performance.now())));
  }, function (fout) {
    document.body.setAttribute("data-grafieken", "fout");
    console.error(fout);
  });

  // A table drawn page by page from the JSON in the page: sort, search, filter, fold-outs.
  function Tabel(id, set, opties) {
    var wortel = document.getElementById(id);
    var kolommen = set.kolommen, rijen = set.rijen;
    var verborgen = opties.verborgen || [];
    var schoolKolom = kolommen.indexOf("school");
    var staat = { sorteer: -1, richting: 1, zoek: "", filter: "", pagina: 0, open: {} };
    var perPagina = 50;
    var zichtbaar = kolommen.map(function (k, i) { return verborgen.indexOf(k) < 0 ? i : -1; })
                            .filter(function (i) { return i >= 0; });

    var bediening = document.createElement("div");
    bediening.className = "bediening";
    var zoek = document.createElement("input");
    zoek.type = "search"; zoek.className = "zoek"; zoek.placeholder = opties.zoektekst;
    zoek.setAttribute("aria-label", opties.zoektekst);
    bediening.appendChild(zoek);
    var filter = null;
    if (opties.filters) {
      filter = document.createElement("select");
      filter.setAttribute("aria-label", "filter");
      opties.filters.forEach(function (f, i) {
        var o = document.createElement("option"); o.value = i; o.textContent = f[0]; filter.appendChild(o);
      });
      bediening.appendChild(filter);
    }
    var teller = document.createElement("span");
    bediening.appendChild(teller);
    var tabel = document.createElement("table");
    var kop = document.createElement("thead");
    kop.innerHTML = "<tr>" + zichtbaar.map(function (i) {
      return '<th data-k="' + i + '"' + (opties.getallen && opties.getallen.indexOf(kolommen[i]) >= 0 ? ' class="num"' : "")
        + ">" + esc(kolommen[i]) + "</th>";
    }).join("") + (opties.uitleg ? "<th>uitleg</th>" : "") + "</tr>";
    var romp = document.createElement("tbody");
    tabel.appendChild(kop); tabel.appendChild(romp);
    var pager = document.createElement("div");
    pager.className = "pagina";
    wortel.appendChild(bediening); wortel.appendChild(tabel); wortel.appendChild(pager);

    function gefilterd() {
      var school = keuze.value, zoekterm = staat.zoek.toLowerCase();
      var test = filter ? opties.filters[Number(filter.value)][1] : null;
      var uit = [];
      for (var r = 0; r < rijen.length; r++) {
        var rij = rijen[r];
        if (school !== "alle" && schoolKolom >= 0 && rij[schoolKolom] !== school) { continue; }
        if (test && !test(rij, kolommen)) { continue; }
        if (zoekterm && rij.join("\u0001").toLowerCase().indexOf(zoekterm) < 0) { continue; }
        uit.push(r);
      }
      if (staat.sorteer >= 0) {
        var k = staat.sorteer, richting = staat.richting;
        uit.sort(function (a, b) { return richting * vergelijk(rijen[a][k], rijen[b][k]) || a - b; });
      }
      return uit;
    }

    function teken() {
      var lijst = gefilterd();
      var paginas = Math.max(1, Math.ceil(lijst.length / perPagina));
      staat.pagina = Math.min(staat.pagina, paginas - 1);
      var begin = staat.pagina * perPagina, stuk = lijst.slice(begin, begin + perPagina);
      var html = [];
      stuk.forEach(function (r) {
        var rij = rijen[r];
        var klasse = opties.rijklasse ? opties.rijklasse(rij, kolommen) : "";
        html.push('<tr class="' + klasse + '">' + zichtbaar.map(function (i) {
          return opties.cel ? opties.cel(kolommen[i], rij[i], rij, kolommen) : "<td>" + esc(rij[i]) + "</td>";
        }).join("") + (opties.uitleg ? '<td><button type="button" data-r="' + r + '">'
                        + (staat.open[r] ? "sluit" : "uitleg") + "</button></td>" : "") + "</tr>");
        if (opties.uitleg && staat.open[r]) {
          html.push('<tr class="uitgeklapt"><td colspan="' + (zichtbaar.length + 1) + '"><pre>'
                    + esc(opties.uitleg(rij, kolommen)) + "</pre></td></tr>");
        }
      });
      romp.innerHTML = html.join("");
      teller.textContent = getal(lijst.length) + " van " + getal(rijen.length) + " " + opties.naam;
      pager.innerHTML = paginas > 1
        ? '<button type="button" data-p="-1"' + (staat.pagina === 0 ? " disabled" : "") + '>vorige</button>'
          + "<span>pagina " + (staat.pagina + 1) + " van " + getal(paginas) + " (rij " + getal(begin + 1) + "–"
          + getal(begin + stuk.length) + ")</span>"
          + '<button type="button" data-p="1"' + (staat.pagina >= paginas - 1 ? " disabled" : "") + ">volgende</button>"
        : "";
      Array.prototype.forEach.call(kop.querySelectorAll("th[data-k]"), function (th) {
        var k = Number(th.getAttribute("data-k"));
        if (k === staat.sorteer) { th.setAttribute("aria-sort", staat.richting > 0 ? "ascending" : "descending"); }
        else { th.removeAttribute("aria-sort"); }
      });
    }

    kop.addEventListener("click", function (e) {
      var th = e.target.closest("th[data-k]");
      if (!th) { return; }
      var k = Number(th.getAttribute("data-k"));
      staat.richting = staat.sorteer === k ? -staat.richting : 1;
      staat.sorteer = k; staat.pagina = 0; teken();
    });
    zoek.addEventListener("input", function () { staat.zoek = zoek.value; staat.pagina = 0; teken(); });
    if (filter) { filter.addEventListener("change", function () { staat.pagina = 0; teken(); }); }
    pager.addEventListener("click", function (e) {
      var knop = e.target.closest("button[data-p]");
      if (knop) { staat.pagina += Number(knop.getAttribute("data-p")); teken(); }
    });
    romp.addEventListener("click", function (e) {
      var knop = e.target.closest("button[data-r]");
      if (knop) { var r = knop.getAttribute("data-r"); staat.open[r] = !staat.open[r]; teken(); }
    });
    teken();
    return { teken: function () { staat.pagina = 0; teken(); } };
  }

  function kolom(rij, kolommen, naam) { return rij[kolommen.indexOf(naam)]; }

  var bron = document.getElementById("tabel-kandidaten").getAttribute("data-bron");
  tabellen.push(Tabel("tabel-kandidaten", data.kandidaten, {
    naam: "kandidaten", zoektekst: "Zoek leerling, opleiding, voorwaarde…", verborgen: ["uitleg"],
    getallen: ["afkeur", "attentie"],
    filters: [["alle kandidaten", null],
              ["alleen afwijkende uitslag", function (r, k) { return kolom(r, k, "afwijkend") === "ja"; }],
              ["met afkeur", function (r, k) { return kolom(r, k, "afkeur") > 0; }],
              ["niet geslaagd (berekend)", function (r, k) { return kolom(r, k, "berekend") !== "geslaagd"; }]],
    rijklasse: function (r, k) { return kolom(r, k, "afwijkend") === "ja" ? "afwijkend" : ""; },
    cel: function (naam, waarde) {
      if (naam === "afkeur" || naam === "attentie") {
        return '<td class="num' + (waarde > 0 ? " " + naam : "") + '">' + esc(waarde) + "</td>";
      }
      return "<td>" + esc(waarde) + "</td>";
    },
    uitleg: function (r, k) {
      var i = kolom(r, k, "uitleg");
      if (i >= 0) { return data.uitleg[i]; }
      var school = String(kolom(r, k, "school")).split(" ");
      return "De uitleg van deze kandidaat staat niet in dit bestand. Vraag hem op met:\n  examenbron explain "
        + bron + " --leerling " + kolom(r, k, "leerling") + " --brin " + school[0] + " --vestiging " + school[1];
    }
  }));
  tabellen.push(Tabel("tabel-bevindingen", data.bevindingen, {
    naam: "bevindingen", zoektekst: "Zoek leerling, vak, code, melding…",
    getallen: ["rij"],
    filters: [["alle ernst", null],
              ["afkeur", function (r, k) { return kolom(r, k, "ernst") === "afkeur"; }],
              ["attentie", function (r, k) { return kolom(r, k, "ernst") === "attentie"; }],
              ["info", function (r, k) { return kolom(r, k, "ernst") === "info"; }]],
    cel: function (naam, waarde) {
      if (naam === "ernst") { return '<td class="' + esc(waarde) + '">' + esc(waarde) + "</td>"; }
      if (naam === "regel") { return '<td><a href="#regel-' + esc(waarde) + '">' + esc(waarde) + "</a></td>"; }
      if (naam === "rij") { return '<td class="num">' + esc(waarde) + "</td>"; }
      return "<td>" + esc(waarde) + "</td>";
    }
  }));

  // Tables written into the page: sort on a header click; the rule table also has a search box.
  Array.prototype.forEach.call(document.querySelectorAll("table.statisch"), function (tabel) {
    var romp = tabel.tBodies[0];
    tabel.tHead.addEventListener("click", function (e) {
      var th = e.target.closest("th");
      if (!th) { return; }
      var k = th.cellIndex, richting = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.prototype.forEach.call(tabel.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", richting > 0 ? "ascending" : "descending");
      var rijen = Array.prototype.slice.call(romp.rows);
      rijen.sort(function (a, b) {
        var x = a.cells[k].textContent, y = b.cells[k].textContent;
        var nx = Number(x), ny = Number(y);
        return richting * (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny) ? nx - ny : vergelijk(x, y));
      });
      rijen.forEach(function (r) { romp.appendChild(r); });
    });
  });
  var zoekRegels = document.getElementById("zoek-regels");
  zoekRegels.addEventListener("input", function () {
    var term = zoekRegels.value.toLowerCase();
    Array.prototype.forEach.call(document.querySelectorAll("#tabel-regels tbody tr"), function (tr) {
      tr.hidden = term !== "" && tr.textContent.toLowerCase().indexOf(term) < 0;
    });
  });

  keuze.addEventListener("change", function () {
    views.forEach(function (view) { view.signal("school", keuze.value).runAsync(); });
    tabellen.forEach(function (t) { t.teken(); });
    Array.prototype.forEach.call(document.querySelectorAll("#tabel-scholen tbody tr"), function (tr) {
      tr.classList.toggle("gekozen", tr.getAttribute("data-school") === keuze.value);
    });
  });
})();
{% endraw %}
