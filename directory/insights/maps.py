"""The coverage map: hexagonal cells coloured by how many listings target a domain.

Drawn with folium through the app's one map skeleton (:func:`directory.maps.build_skeleton`:
Leaflet served locally, the script under the page's CSP nonce): each cell is a GeoJSON
polygon bringing its own style, tooltip and popup, so nothing of a page passes through
folium's templates.
"""

from __future__ import annotations

import h3
from flask import current_app
from markupsafe import Markup, escape

from directory.insights.services import HexCell, HexMap
from directory.maps import MapParts, build_skeleton
from directory.rules.coverage import count_band

# Light to dark blue from the NHS.UK palette; no listings is white, so a gap stands out.
BAND_COLOURS = ("#ffffff", "#c6dbef", "#8fb8e0", "#4a8fd0", "#005eb8", "#003087")
BANDS = len(BAND_COLOURS) - 1
OUTLINE = "#425563"
ZOOM_BY_RESOLUTION = {8: 12, 7: 11, 6: 9}


def band_colour(count: int, highest: int) -> str:
    """The fill colour of a cell holding ``count`` when the fullest holds ``highest``."""
    return BAND_COLOURS[count_band(count, highest, BANDS)]


def legend(highest: int) -> list[tuple[int, str]]:
    """(band, words) for each band in use, for the key under the map.

    Band 0 is "none"; the page colours each band's swatch with its class.
    """
    ranges: dict[int, tuple[int, int]] = {}
    for count in range(1, highest + 1):
        band = count_band(count, highest, BANDS)
        low, _ = ranges.get(band, (count, count))
        ranges[band] = (low, count)
    return [(0, "none")] + [
        (band, str(low) if low == high else f"{low} to {high}")
        for band, (low, high) in sorted(ranges.items())
    ]


def cell_feature(cell: HexCell, highest: int, domain_name: str, search_url: str | None) -> dict:
    """One cell as a GeoJSON polygon with its colour and labels (text escaped)."""
    ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(cell.cell)]
    ring.append(ring[0])
    listings = "listing" if cell.count == 1 else "listings"
    where = f" near {cell.near}" if cell.near else ""
    tooltip = f"{cell.count} {listings}{where}"
    popup = Markup("{} {} targeting {}{}").format(cell.count, listings, domain_name, where)
    if search_url and cell.count:
        popup += Markup('<br><a href="{}">See them</a>').format(search_url)
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "style": {
                "color": OUTLINE,
                "weight": 1,
                "fillColor": band_colour(cell.count, highest),
                "fillOpacity": 0.7,
            },
            "tooltip": str(escape(tooltip)),
            "popup": str(popup),
        },
    }


def coverage_map(hexes: HexMap, domain_name: str, search_url_for) -> MapParts:
    """The map of a domain's coverage: every cell in the area, coloured by count.

    ``search_url_for(outward_code)`` links a cell to the search near it.
    """
    config = current_app.config
    skeleton = build_skeleton(config["MAP_TILES_URL"], config["MAP_TILES_ATTRIBUTION"])
    highest = hexes.highest
    features = [
        cell_feature(c, highest, domain_name, search_url_for(c.near) if c.near else None)
        for c in hexes.cells
    ]
    lats = [lat for f in features for _, lat in f["geometry"]["coordinates"][0]]
    lons = [lon for f in features for lon, _ in f["geometry"]["coordinates"][0]]
    bounds = [[min(lats), min(lons)], [max(lats), max(lons)]] if features else None
    zoom = ZOOM_BY_RESOLUTION.get(hexes.resolution, 10)
    return skeleton.fill((hexes.area.latitude, hexes.area.longitude), zoom, features, bounds)
