"""Maps drawn with folium, served without any CDN and within the page's CSP.

folium normally renders a whole HTML document that pulls Leaflet, jQuery and Bootstrap
from CDNs. We point its asset lists at the copies the app serves (class attributes,
not ``add_js_link``, which would change a list shared by every map), use only Leaflet,
and embed the map's own script in the page with the request's CSP nonce.

A map is one layer: a GeoJSON feature collection of the listings' points, drawn as
circle markers styled by kind (:func:`kind_style`) with a tooltip and a popup linking to
the listing. folium builds the map and that layer once per process (its "skeleton": the
tiles, the scale, the layer's style and label functions); a page only adds its centre,
zoom, features and bounds to the skeleton's script, so no Jinja template is compiled per
page or per marker.

Listing names never pass through folium: branca compiles what an element renders as a
Jinja template, so text placed there would run as template code (``{{ 7*7 }}`` in a name
would print 49). The features are JSON written by :func:`htmlsafe_json_dumps` straight
into the page's script (``<``, ``>``, ``&`` and ``'`` escaped, so a name can't close the
script), and their labels are HTML-escaped, as Leaflet shows them with ``innerHTML``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import folium
from flask import Flask, current_app
from folium.utilities import JsCode
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from directory.links import listing_url
from directory.models import Listing
from directory.vocabularies import label

# Marker colours by kind, from the NHS.UK palette; the list under the map names them.
KIND_COLOURS = {"group": "#005eb8", "place": "#007f3b", "activity": "#330072"}
OTHER_COLOUR = "#4c6272"
RESULTS_ZOOM = 13
LISTING_ZOOM = 15

# Where the skeleton is centred and zoomed when rendered once; each page puts its own
# centre and zoom in their place. Values no real map uses, each found exactly once.
_CENTRE_MARK = "[-11.1111, 111.1111]"
_ZOOM_MARK = '"zoom": 17,'
# The layer's Leaflet options: each feature brings its style and labels.
_STYLE = JsCode("function (feature) { return feature.properties.style; }")
_LABELS = JsCode(
    "function (feature, layer) {"
    " layer.bindTooltip(feature.properties.tooltip);"
    " layer.bindPopup(feature.properties.popup); }"
)


@dataclass(frozen=True)
class MapParts:
    """What a template needs to show a map: the container and its script."""

    html: str
    script: str


@dataclass(frozen=True)
class Skeleton:
    """A map rendered once by folium, waiting for a page's centre, zoom and features."""

    html: str
    script_parts: tuple[str, str, str]  # before the centre, between centre and zoom, after
    map_name: str
    layer_name: str

    def fill(
        self,
        centre: tuple[float, float],
        zoom: int,
        features: list[dict],
        bounds: list[list[float]] | None = None,
    ) -> MapParts:
        """The map at ``centre`` and ``zoom`` with ``features``, fitted to ``bounds``."""
        before, between, after = self.script_parts
        centre_js = json.dumps([float(centre[0]), float(centre[1])])
        lines = [
            f'{before}{centre_js}{between}"zoom": {int(zoom)},{after}',
            f"{self.layer_name}.addData("
            f"{htmlsafe_json_dumps({'type': 'FeatureCollection', 'features': features})});",
        ]
        if bounds is not None:
            lines.append(f"{self.map_name}.fitBounds({json.dumps(bounds)}, {{}});")
        return MapParts(html=self.html, script="\n".join(lines) + "\n")


def configure_folium(app: Flask) -> None:
    """Serve Leaflet from our static folder and drop folium's other CDN assets."""
    static = app.static_url_path
    folium.Map.default_js = [("leaflet", f"{static}/vendor/leaflet/leaflet.js")]
    folium.Map.default_css = [("leaflet_css", f"{static}/vendor/leaflet/leaflet.css")]


@lru_cache(maxsize=8)
def build_skeleton(tiles_url: str, attribution: str) -> Skeleton:
    """Render the map and its one GeoJSON layer with folium (once per tile source)."""
    latitude, longitude = json.loads(_CENTRE_MARK)
    fmap = folium.Map(
        location=[latitude, longitude],
        zoom_start=17,
        tiles=folium.TileLayer(tiles=tiles_url, attr=attribution, max_zoom=19),
        control_scale=True,
    )
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": []},
        marker=folium.CircleMarker(radius=8, fill=True, fill_opacity=0.8),
        style=_STYLE,
        on_each_feature=_LABELS,
    )
    layer.add_to(fmap)
    root = fmap.get_root()
    root.render()
    script = root.script.render()
    if script.count(_CENTRE_MARK) != 1 or script.count(_ZOOM_MARK) != 1:
        raise RuntimeError("folium's map script changed: can't place the centre and zoom")
    before, rest = script.split(_CENTRE_MARK)
    between, after = rest.split(_ZOOM_MARK)
    return Skeleton(
        html=root.html.render(),
        script_parts=(before, between, after),
        map_name=fmap.get_name(),
        layer_name=layer.get_name(),
    )


def _skeleton() -> Skeleton:
    config = current_app.config
    return build_skeleton(config["MAP_TILES_URL"], config["MAP_TILES_ATTRIBUTION"])


def kind_style(kind: str) -> dict[str, str]:
    """How a listing of ``kind`` is drawn: its circle's colour (the layer's style function)."""
    colour = KIND_COLOURS.get(kind, OTHER_COLOUR)
    return {"color": colour, "fillColor": colour}


def listing_feature(listing: Listing, latitude: float, longitude: float) -> dict:
    """One point of a listing as a GeoJSON feature: its style, tooltip and linked popup.

    The tooltip and popup are HTML with the name escaped (Leaflet uses ``innerHTML``).
    """
    name = listing.name
    href = listing_url(listing.id)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
        "properties": {
            "style": kind_style(listing.kind),
            "tooltip": str(escape(name)),
            "popup": str(
                Markup('<a href="{}">{}</a><br>{}').format(href, name, label("kind", listing.kind))
            ),
        },
    }


def results_map(
    listings: Sequence[Listing],
    points: Mapping[str, Sequence[tuple[float, float]]],
    centre: tuple[float, float] | None,
) -> MapParts | None:
    """A map of the listings at their ``points`` (by listing id), centred on the place.

    Without a searched place, centred on the points.
    """
    located = [
        (listing, latitude, longitude)
        for listing in listings
        for latitude, longitude in points.get(listing.id, ())
    ]
    if not located:
        return None
    if centre is None:
        centre = (
            sum(p[1] for p in located) / len(located),
            sum(p[2] for p in located) / len(located),
        )
    bounds = None
    if len(located) > 1:
        bounds = [
            [min(p[1] for p in located), min(p[2] for p in located)],
            [max(p[1] for p in located), max(p[2] for p in located)],
        ]
    features = [listing_feature(listing, lat, lon) for listing, lat, lon in located]
    return _skeleton().fill(centre, RESULTS_ZOOM, features, bounds)


def listing_map(listing: Listing) -> MapParts | None:
    """A small map of one listing's locations, or None if it has none."""
    located = [
        loc for loc in listing.locations if loc.latitude is not None and loc.longitude is not None
    ]
    if not located:
        return None
    first = located[0]
    features = [listing_feature(listing, loc.latitude, loc.longitude) for loc in located]
    return _skeleton().fill((first.latitude, first.longitude), LISTING_ZOOM, features)


def tile_origin(tiles_url: str) -> str | None:
    """The origin tiles come from, for the CSP (None when served by the app)."""
    if "://" not in tiles_url:
        return None
    scheme, rest = tiles_url.split("://", 1)
    host = rest.split("/", 1)[0]
    # Tile URLs may use {s} subdomains.
    return f"{scheme}://{host.replace('{s}.', '*.')}"
