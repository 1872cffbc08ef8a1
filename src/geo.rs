//! GeoIP and ASN lookups from MaxMind-format databases (GeoLite2 / GeoIP2 City, Country and
//! ASN, DB-IP, and the CC0 `ip-location-db` files), for the novelty detectors' new country,
//! new ASN and impossible travel.
//!
//! Users give one or more `.mmdb` files; each lookup takes the first country, location and
//! AS number any of them knows. Both the MaxMind layout (`country.iso_code`,
//! `location.latitude`, `autonomous_system_number`) and the `ip-location-db` one
//! (`country_code`) are read. Results are cached per address in a bounded, seeded map: a
//! principal's addresses repeat, and a lookup walks the search tree and decodes a record.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// Addresses remembered before the cache starts over (about 40 MB at most).
const CACHE_LIMIT: usize = 1 << 20;

/// Where an address is, as far as the databases know.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Place {
    /// ISO 3166-1 alpha-2 country code, upper case; `[0, 0]` when unknown.
    pub country: [u8; 2],
    /// Autonomous system number; 0 when unknown.
    pub asn: u32,
    /// Latitude and longitude in degrees and the accuracy radius in km, when the database
    /// has a location (City databases; Country databases do not).
    pub location: Option<(f32, f32, u16)>,
}

impl Place {
    pub fn has_country(&self) -> bool {
        self.country != [0, 0]
    }

    /// The country code as text (`"GB"`), or `None` when unknown.
    pub fn country_code(&self) -> Option<&str> {
        self.has_country()
            .then(|| std::str::from_utf8(&self.country).ok())
            .flatten()
    }

    /// Packs the country code into a key for per-principal sets.
    pub fn country_key(&self) -> u16 {
        u16::from_be_bytes(self.country)
    }
}

/// Text of a packed country key.
pub fn country_text(key: u16) -> String {
    String::from_utf8_lossy(&key.to_be_bytes()).into_owned()
}

#[derive(Deserialize, Default)]
struct Country<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct Location {
    latitude: Option<f64>,
    longitude: Option<f64>,
    accuracy_radius: Option<u16>,
}

/// The fields read from a record, in either layout; the rest is skipped.
#[derive(Deserialize, Default)]
struct Record<'a> {
    #[serde(borrow)]
    country: Option<Country<'a>>,
    #[serde(borrow)]
    registered_country: Option<Country<'a>>,
    /// `ip-location-db` layout.
    #[serde(borrow)]
    country_code: Option<&'a str>,
    location: Option<Location>,
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

struct Database {
    path: PathBuf,
    reader: maxminddb::Reader<Vec<u8>>,
}

/// The opened databases.
pub struct GeoDb {
    dbs: Vec<Database>,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.dbs.iter().map(|d| d.path.display().to_string()))
            .finish()
    }
}

fn code(s: &str) -> Option<[u8; 2]> {
    let b = s.as_bytes();
    (b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic))
        .then(|| [b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()])
}

impl GeoDb {
    /// Opens each file, checking it is a MaxMind DB with a usable search tree.
    pub fn open(paths: &[PathBuf]) -> Result<Arc<GeoDb>> {
        let mut dbs = Vec::new();
        for path in paths {
            dbs.push(Self::open_one(path)?);
        }
        Ok(Arc::new(GeoDb { dbs }))
    }

    fn open_one(path: &Path) -> Result<Database> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read GeoIP database {}", path.display()))?;
        let reader = maxminddb::Reader::from_source(bytes).map_err(|e| {
            anyhow::anyhow!(
                "{} is not a MaxMind DB (.mmdb) file: {e}; give a GeoLite2/GeoIP2, DB-IP or ip-location-db .mmdb",
                path.display()
            )
        })?;
        // A probe lookup fails early on a broken search tree instead of mid-run.
        if let Err(e) = reader.lookup("1.1.1.1".parse().expect("address")) {
            bail!("GeoIP database {} is damaged: {e}", path.display());
        }
        Ok(Database {
            path: path.to_path_buf(),
            reader,
        })
    }

    /// The database files, for the run summary.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.dbs.iter().map(|d| d.path.as_path())
    }

    /// Looks an address up in every database. A record that fails to decode counts as
    /// unknown (a damaged record never stops a run); `org` receives the AS organisation.
    pub fn lookup(&self, ip: IpAddr, org: &mut Option<String>) -> Place {
        let mut place = Place::default();
        for db in &self.dbs {
            let Ok(found) = db.reader.lookup(ip) else {
                continue;
            };
            let Ok(Some(rec)) = found.decode::<Record>() else {
                continue;
            };
            if !place.has_country() {
                let c = rec
                    .country
                    .and_then(|c| c.iso_code)
                    .or(rec.country_code)
                    .or(rec.registered_country.and_then(|c| c.iso_code))
                    .and_then(code);
                if let Some(c) = c {
                    place.country = c;
                }
            }
            if place.location.is_none() {
                if let Some(Location {
                    latitude: Some(lat),
                    longitude: Some(lon),
                    accuracy_radius,
                }) = rec.location
                {
                    if lat.is_finite() && lon.is_finite() {
                        place.location =
                            Some((lat as f32, lon as f32, accuracy_radius.unwrap_or(0)));
                    }
                }
            }
            if place.asn == 0 {
                if let Some(n) = rec.autonomous_system_number {
                    place.asn = n;
                    if org.is_none() {
                        *org = rec
                            .autonomous_system_organization
                            .map(|o| crate::text::bounded(o, 80));
                    }
                }
            }
        }
        place
    }
}

/// Where an address is, as text for reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AddressPlace {
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
}

impl GeoDb {
    /// Country, AS number and AS organisation of an address, for reports.
    pub fn address_place(&self, ip: IpAddr) -> AddressPlace {
        let mut org = None;
        let place = self.lookup(ip, &mut org);
        AddressPlace {
            country: place.country_code().map(str::to_string),
            asn: (place.asn != 0).then_some(place.asn),
            as_org: org,
        }
    }
}

type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;

/// Lookups with a bounded, seeded cache, and the names of the ASNs seen.
pub struct GeoCache {
    db: Arc<GeoDb>,
    places: FastMap<IpAddr, Place>,
    orgs: FastMap<u32, String>,
}

impl GeoCache {
    pub fn new(db: Arc<GeoDb>) -> Self {
        GeoCache {
            db,
            places: FastMap::default(),
            orgs: FastMap::default(),
        }
    }

    pub fn lookup(&mut self, ip: IpAddr) -> Place {
        if let Some(p) = self.places.get(&ip) {
            return *p;
        }
        if self.places.len() >= CACHE_LIMIT {
            self.places.clear();
        }
        let mut org = None;
        let place = self.db.lookup(ip, &mut org);
        if let Some(o) = org {
            if self.orgs.len() < CACHE_LIMIT {
                self.orgs.entry(place.asn).or_insert(o);
            }
        }
        self.places.insert(ip, place);
        place
    }

    /// The organisation of an AS number, if a database named it.
    pub fn org(&self, asn: u32) -> Option<&str> {
        self.orgs.get(&asn).map(String::as_str)
    }
}

/// Great-circle distance in km (haversine, mean Earth radius).
pub fn distance_km(a: (f32, f32), b: (f32, f32)) -> f64 {
    let (lat1, lon1) = (f64::from(a.0).to_radians(), f64::from(a.1).to_radians());
    let (lat2, lon2) = (f64::from(b.0).to_radians(), f64::from(b.1).to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/geoip")
            .join(name)
    }

    #[test]
    fn reads_maxmind_city_and_asn_test_databases() {
        let db = GeoDb::open(&[
            data("GeoLite2-City-Test.mmdb"),
            data("GeoLite2-ASN-Test.mmdb"),
        ])
        .unwrap();
        let mut cache = GeoCache::new(db);
        let london = cache.lookup("81.2.69.142".parse().unwrap());
        assert_eq!(london.country_code(), Some("GB"));
        let (lat, lon, _) = london.location.unwrap();
        assert!((lat - 51.5142).abs() < 0.01 && (lon + 0.0931).abs() < 0.01);
        let se = cache.lookup("89.160.20.120".parse().unwrap());
        assert_eq!(se.country_code(), Some("SE"));
        let att = cache.lookup("12.81.92.1".parse().unwrap());
        assert_eq!(att.asn, 7018);
        assert_eq!(cache.org(7018), Some("AT&T Services"));
        // Not in any database: unknown, not an error.
        let none = cache.lookup("10.0.0.1".parse().unwrap());
        assert_eq!(none, Place::default());
        let v6 = cache.lookup("2001:218::1".parse().unwrap());
        assert_eq!(v6.country_code(), Some("JP"));
        let km = distance_km(
            london.location.map(|l| (l.0, l.1)).unwrap(),
            se.location.map(|l| (l.0, l.1)).unwrap(),
        );
        assert!((1100.0..1400.0).contains(&km), "{km}");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("not.mmdb");
        std::fs::write(&bad, b"hello").unwrap();
        let e = GeoDb::open(std::slice::from_ref(&bad))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not.mmdb") && e.contains("MaxMind"), "{e}");
        let e = GeoDb::open(&[dir.path().join("missing.mmdb")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.mmdb"), "{e}");
    }
}
