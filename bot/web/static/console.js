// The staff console's only script of its own: the map on a submission's page (Leaflet,
// served from this folder). Without MAP_TILES_URL the marker shows on a blank background.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") { return; }
  var position = [parseFloat(element.dataset.latitude), parseFloat(element.dataset.longitude)];
  var map = L.map(element, { keyboard: true }).setView(position, 16);
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19 }).addTo(map);
  }
  L.marker(position, { keyboard: false }).addTo(map);
});
