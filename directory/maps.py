"""Maps drawn with folium, served without any CDN and within the page's CSP.

folium normally renders a whole HTML document that pulls Leaflet, jQuery and Bootstrap
from CDNs. We point its asset lists at the copies the app serves (class attributes,
not ``add_js_link``, which would change a list shared by every map), use only Leaflet,
and embed the map's own script in the page with the request's CSP nonce.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import folium
from branca.element import MacroElement
from flask import Flask, current_app, url_for
from folium.template import Template
from markupsafe import Markup, escape

from directory.models import Listing
from directory.vocabularies import label

# Marker colours by kind, from the NHS.UK palette; the list under the map names them.
KIND_COLOURS = {"group": "#005eb8", "place": "#007f3b", "activity": "#330072"}


@dataclass(frozen=True)
class MapParts:
    """What a template needs to show a map: the container and its script."""

    html: str
    script: str


class ListingLabels(MacroElement):
    """A marker's tooltip and a popup linking to the listing.

    Set as HTML-escaped strings (Leaflet uses innerHTML): no jQuery, no inline styles,
    and a listing name can't inject markup or script.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindTooltip({{ this.tooltip|tojson }});
            {{ this._parent.get_name() }}.bindPopup({{ this.popup|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, href: str, name: str, detail: str) -> None:
        super().__init__()
        self._name = "ListingLabels"
        self.tooltip = str(escape(name))
        self.popup = str(Markup('<a href="{}">{}</a><br>{}').format(href, name, detail))


def configure_folium(app: Flask) -> None:
    """Serve Leaflet from our static folder and drop folium's other CDN assets."""
    static = app.static_url_path
    folium.Map.default_js = [("leaflet", f"{static}/vendor/leaflet/leaflet.js")]
    folium.Map.default_css = [("leaflet_css", f"{static}/vendor/leaflet/leaflet.css")]


def _new_map(latitude: float, longitude: float, zoom: int) -> folium.Map:
    config = current_app.config
    return folium.Map(
        location=[latitude, longitude],
        zoom_start=zoom,
        tiles=folium.TileLayer(
            tiles=config["MAP_TILES_URL"], attr=config["MAP_TILES_ATTRIBUTION"], max_zoom=19
        ),
        control_scale=True,
    )


def _parts(fmap: folium.Map) -> MapParts:
    root = fmap.get_root()
    root.render()
    return MapParts(html=root.html.render(), script=root.script.render())


def _add_marker(fmap: folium.Map, listing: Listing, latitude: float, longitude: float) -> None:
    colour = KIND_COLOURS.get(listing.kind, "#4c6272")
    marker = folium.CircleMarker(
        [latitude, longitude],
        radius=8,
        color=colour,
        fill=True,
        fill_color=colour,
        fill_opacity=0.8,
    )
    marker.add_child(
        ListingLabels(
            url_for("listings.listing_page", listing_id=listing.id),
            listing.name,
            label("kind", listing.kind),
        )
    )
    marker.add_to(fmap)


def results_map(listings: Sequence[Listing], centre: tuple[float, float] | None) -> MapParts | None:
    """A map of the listings that have locations, centred on the searched place."""
    points = [
        (listing, loc.latitude, loc.longitude)
        for listing in listings
        for loc in listing.locations
        if loc.latitude is not None and loc.longitude is not None
    ]
    if not points:
        return None
    if centre is None:
        centre = (
            sum(p[1] for p in points) / len(points),
            sum(p[2] for p in points) / len(points),
        )
    fmap = _new_map(centre[0], centre[1], zoom=13)
    for listing, latitude, longitude in points:
        _add_marker(fmap, listing, latitude, longitude)
    if len(points) > 1:
        fmap.fit_bounds(
            [
                [min(p[1] for p in points), min(p[2] for p in points)],
                [max(p[1] for p in points), max(p[2] for p in points)],
            ]
        )
    return _parts(fmap)


def listing_map(listing: Listing) -> MapParts | None:
    """A small map of one listing's locations, or None if it has none."""
    located = [loc for loc in listing.locations if loc.latitude is not None]
    if not located:
        return None
    first = located[0]
    fmap = _new_map(first.latitude, first.longitude, zoom=15)
    for loc in located:
        _add_marker(fmap, listing, loc.latitude, loc.longitude)
    return _parts(fmap)


def tile_origin(tiles_url: str) -> str | None:
    """The origin tiles come from, for the CSP (None when served by the app)."""
    if "://" not in tiles_url:
        return None
    scheme, rest = tiles_url.split("://", 1)
    host = rest.split("/", 1)[0]
    # Tile URLs may use {s} subdomains.
    return f"{scheme}://{host.replace('{s}.', '*.')}"
