//! Geofencing as a Ferrite plugin: is a point inside a polygon, which fences
//! contain it, and how far apart are two points on the globe.
//!
//! Polygons are lists of vertices in degrees, treated as planar in
//! latitude/longitude, which is accurate for fences up to a few hundred
//! kilometres that do not cross the antimeridian. Distances use the haversine
//! formula on a sphere of the Earth's mean radius.

use ferrite_plugin::prelude::*;

/// Mean radius of the Earth in metres (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// How close to an edge, in degrees, counts as on it (about 1 cm).
const EDGE_EPSILON: f64 = 1e-7;

/// A position on the globe, in degrees.
#[derive(Record, Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Latitude, from -90 (south) to 90 (north).
    pub lat: f64,
    /// Longitude, from -180 (west) to 180 (east).
    pub lon: f64,
}

/// A unit of distance.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Meters,
    Kilometers,
    Miles,
}

/// A named polygon.
#[derive(Record, Clone, Debug, PartialEq)]
pub struct Fence {
    /// What the fence is called, e.g. `warehouse-3`.
    pub name: String,
    /// Its vertices in order; the last connects back to the first.
    pub polygon: Vec<Point>,
}

/// Where a point lies relative to a polygon.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Inside,
    Outside,
    /// On an edge or a vertex (within about a centimetre).
    OnEdge,
}

/// Why a request was refused.
#[derive(Enum, Clone, Debug, PartialEq)]
pub enum GeoError {
    /// A polygon needs at least three vertices; it had this many.
    TooFewVertices(u32),
    /// A coordinate is out of range or not a number.
    InvalidPoint(Point),
}

impl std::fmt::Display for GeoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GeoError::TooFewVertices(n) => {
                write!(f, "a polygon needs at least 3 vertices, got {n}")
            }
            GeoError::InvalidPoint(p) => write!(f, "invalid point ({}, {})", p.lat, p.lon),
        }
    }
}

fn check_point(p: Point) -> Result<Point, GeoError> {
    let ok = p.lat.is_finite()
        && p.lon.is_finite()
        && (-90.0..=90.0).contains(&p.lat)
        && (-180.0..=180.0).contains(&p.lon);
    if ok {
        Ok(p)
    } else {
        Err(GeoError::InvalidPoint(p))
    }
}

fn check_polygon(polygon: &[Point]) -> Result<(), GeoError> {
    if polygon.len() < 3 {
        return Err(GeoError::TooFewVertices(polygon.len() as u32));
    }
    polygon.iter().try_for_each(|&v| check_point(v).map(drop))
}

/// Where `p` lies relative to `polygon`, by ray casting.
fn place(p: Point, polygon: &[Point]) -> Placement {
    let mut inside = false;
    let n = polygon.len();
    for i in 0..n {
        let (a, b) = (polygon[i], polygon[(i + 1) % n]);
        if on_segment(p, a, b) {
            return Placement::OnEdge;
        }
        // Does a ray from `p` towards +lon cross edge a-b?
        if (a.lat > p.lat) != (b.lat > p.lat) {
            let lon_at = a.lon + (p.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon);
            if p.lon < lon_at {
                inside = !inside;
            }
        }
    }
    if inside {
        Placement::Inside
    } else {
        Placement::Outside
    }
}

fn on_segment(p: Point, a: Point, b: Point) -> bool {
    let cross = (b.lon - a.lon) * (p.lat - a.lat) - (b.lat - a.lat) * (p.lon - a.lon);
    let len = ((b.lon - a.lon).powi(2) + (b.lat - a.lat).powi(2)).sqrt();
    if len == 0.0 {
        return (p.lat - a.lat).abs() <= EDGE_EPSILON && (p.lon - a.lon).abs() <= EDGE_EPSILON;
    }
    let within = p.lat >= a.lat.min(b.lat) - EDGE_EPSILON
        && p.lat <= a.lat.max(b.lat) + EDGE_EPSILON
        && p.lon >= a.lon.min(b.lon) - EDGE_EPSILON
        && p.lon <= a.lon.max(b.lon) + EDGE_EPSILON;
    within && (cross / len).abs() <= EDGE_EPSILON
}

fn haversine_m(a: Point, b: Point) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    // `libm`, not std's `sin`: native builds then compute what the
    // component does, bit for bit.
    let h = libm::sin(dlat / 2.0).powi(2)
        + libm::cos(la1) * libm::cos(la2) * libm::sin(dlon / 2.0).powi(2);
    2.0 * EARTH_RADIUS_M * libm::asin(h.sqrt().min(1.0))
}

fn convert(meters: f64, unit: Unit) -> f64 {
    match unit {
        Unit::Meters => meters,
        Unit::Kilometers => meters / 1000.0,
        Unit::Miles => meters / 1609.344,
    }
}

/// Whether `p` is inside `fence` (on an edge counts as inside).
#[ferrite_plugin::function]
pub fn geo_fence(p: Point, fence: Vec<Point>) -> Result<bool, String> {
    classify(p, fence)
        .map(|at| at != Placement::Outside)
        .map_err(|e| e.to_string())
}

/// Where `p` lies relative to `fence`: inside, outside, or on an edge.
#[ferrite_plugin::function]
pub fn classify(p: Point, fence: Vec<Point>) -> Result<Placement, GeoError> {
    check_point(p)?;
    check_polygon(&fence)?;
    Ok(place(p, &fence))
}

/// The great-circle distance from `a` to `b` in `unit`.
#[ferrite_plugin::function]
pub fn distance(a: Point, b: Point, unit: Unit) -> Result<f64, GeoError> {
    Ok(convert(haversine_m(check_point(a)?, check_point(b)?), unit))
}

/// The names of the fences that contain `p`, in the order given.
#[ferrite_plugin::function]
pub fn locate(p: Point, fences: Vec<Fence>) -> Result<Vec<String>, GeoError> {
    check_point(p)?;
    let mut names = Vec::new();
    for fence in fences {
        check_polygon(&fence.polygon)?;
        if place(p, &fence.polygon) != Placement::Outside {
            names.push(fence.name);
        }
    }
    Ok(names)
}

/// The index of the candidate nearest to `p` and its distance in `unit`, or
/// `none` when there are no candidates. Invalid candidates are skipped.
#[ferrite_plugin::function]
pub fn nearest(p: Point, candidates: Vec<Point>, unit: Unit) -> Option<(u32, f64)> {
    let p = check_point(p).ok()?;
    candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| check_point(**c).is_ok())
        .map(|(i, c)| (i as u32, haversine_m(p, *c)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, m)| (i, convert(m, unit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(lat: f64, lon: f64) -> Point {
        Point { lat, lon }
    }

    fn square() -> Vec<Point> {
        vec![pt(0.0, 0.0), pt(0.0, 1.0), pt(1.0, 1.0), pt(1.0, 0.0)]
    }

    #[test]
    fn it_classifies_points_against_a_square() {
        assert_eq!(classify(pt(0.5, 0.5), square()), Ok(Placement::Inside));
        assert_eq!(classify(pt(1.5, 0.5), square()), Ok(Placement::Outside));
        assert_eq!(classify(pt(0.0, 0.5), square()), Ok(Placement::OnEdge));
        assert_eq!(classify(pt(1.0, 1.0), square()), Ok(Placement::OnEdge));
        assert_eq!(geo_fence(pt(0.5, 0.5), square()), Ok(true));
    }

    #[test]
    fn it_handles_concave_polygons() {
        // A "C" shape: the notch at lon 0.4..1, lat 0.4..0.6 is outside.
        let c = vec![
            pt(0.0, 0.0),
            pt(0.0, 1.0),
            pt(0.4, 1.0),
            pt(0.4, 0.4),
            pt(0.6, 0.4),
            pt(0.6, 1.0),
            pt(1.0, 1.0),
            pt(1.0, 0.0),
        ];
        assert_eq!(classify(pt(0.5, 0.8), c.clone()), Ok(Placement::Outside));
        assert_eq!(classify(pt(0.5, 0.2), c.clone()), Ok(Placement::Inside));
        assert_eq!(classify(pt(0.2, 0.8), c), Ok(Placement::Inside));
    }

    #[test]
    fn it_refuses_bad_input() {
        assert_eq!(
            classify(pt(0.5, 0.5), square()[..2].to_vec()),
            Err(GeoError::TooFewVertices(2))
        );
        assert_eq!(
            classify(pt(91.0, 0.0), square()),
            Err(GeoError::InvalidPoint(pt(91.0, 0.0)))
        );
        assert!(distance(pt(f64::NAN, 0.0), pt(0.0, 0.0), Unit::Meters).is_err());
        assert_eq!(
            geo_fence(pt(0.0, 0.0), vec![]),
            Err("a polygon needs at least 3 vertices, got 0".into())
        );
    }

    #[test]
    fn it_measures_known_distances() {
        // Paris to London: about 343.5 km.
        let d = distance(pt(48.8566, 2.3522), pt(51.5074, -0.1278), Unit::Kilometers).unwrap();
        assert!((d - 343.5).abs() < 1.0, "{d}");
        // A quarter of a meridian: about 10,007.5 km.
        let q = distance(pt(0.0, 0.0), pt(90.0, 0.0), Unit::Kilometers).unwrap();
        assert!((q - 10_007.5).abs() < 1.0, "{q}");
        let miles = distance(pt(0.0, 0.0), pt(0.0, 1.0), Unit::Miles).unwrap();
        assert!((miles - 69.1).abs() < 0.1, "{miles}");
    }

    #[test]
    fn it_locates_and_finds_the_nearest() {
        let fences = vec![
            Fence {
                name: "a".into(),
                polygon: square(),
            },
            Fence {
                name: "b".into(),
                polygon: vec![pt(5.0, 5.0), pt(5.0, 6.0), pt(6.0, 6.0)],
            },
        ];
        assert_eq!(locate(pt(0.5, 0.5), fences), Ok(vec!["a".to_string()]));
        let (i, _) = nearest(
            pt(0.0, 0.0),
            vec![pt(10.0, 10.0), pt(1.0, 1.0), pt(99.0, 0.0)],
            Unit::Meters,
        )
        .unwrap();
        assert_eq!(i, 1);
        assert_eq!(nearest(pt(0.0, 0.0), vec![], Unit::Meters), None);
    }
}

#[ferrite_plugin::test]
fn a_point_inside_a_square_is_inside() {
    let square = vec![
        Point { lat: 0.0, lon: 0.0 },
        Point { lat: 0.0, lon: 1.0 },
        Point { lat: 1.0, lon: 1.0 },
        Point { lat: 1.0, lon: 0.0 },
    ];
    assert_eq!(
        geo_fence(Point { lat: 0.5, lon: 0.5 }, square.clone()),
        Ok(true)
    );
    assert_eq!(
        classify(Point { lat: 0.0, lon: 0.5 }, square),
        Ok(Placement::OnEdge)
    );
}

#[ferrite_plugin::test]
fn paris_is_about_343_km_from_london() {
    let paris = Point {
        lat: 48.8566,
        lon: 2.3522,
    };
    let london = Point {
        lat: 51.5074,
        lon: -0.1278,
    };
    let km = distance(paris, london, Unit::Kilometers).unwrap();
    assert!((km - 343.5).abs() < 1.0, "{km}");
}

#[ferrite_plugin::test]
fn a_two_vertex_fence_is_refused() {
    let p = Point { lat: 0.0, lon: 0.0 };
    assert_eq!(classify(p, vec![p, p]), Err(GeoError::TooFewVertices(2)));
}
