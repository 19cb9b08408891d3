/* "Add a line": copies the empty row of the formset (no script: three rows, and one more on each edit). */
(function () {
  var button = document.getElementById("add-line");
  var template = document.getElementById("line-template");
  var rows = document.getElementById("line-rows");
  var total = document.querySelector("input[name='lines-TOTAL_FORMS']");
  var max = document.querySelector("input[name='lines-MAX_NUM_FORMS']");
  if (!button || !template || !rows || !total) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) { return; }
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = rows.lastElementChild && rows.lastElementChild.querySelector("input");
    if (first) { first.focus(); }
  });
})();
