//! The versions of the host API (`ferrite:plugin@X`) and which Ferrite
//! versions serve them.
//!
//! A component imports the interfaces of the version its SDK was built
//! against. A host keeps serving every version it ever served, so components
//! built against an older one keep loading; one built against a newer version
//! than the host serves is refused at load with both versions named.

use std::fmt;

use semver::Version;

/// A version of the host API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiVersion {
    /// `ferrite:plugin@0.1.0`: strings in `kv`, `log`, `config`, `clock`.
    V0_1,
    /// `ferrite:plugin@0.2.0`: adds hashes, lists, sets, sorted sets and
    /// `ttl` to `kv`, the `server`, `random` and `events` interfaces, and
    /// the command and hook contract types (with `on-event`) to `types`.
    V0_2,
}

impl ApiVersion {
    /// Every version, oldest first.
    pub const ALL: [ApiVersion; 2] = [ApiVersion::V0_1, ApiVersion::V0_2];

    /// The newest version.
    pub const LATEST: ApiVersion = ApiVersion::V0_2;

    /// The package version, as components import it (`0.2.0`).
    pub fn package(self) -> &'static str {
        match self {
            ApiVersion::V0_1 => "0.1.0",
            ApiVersion::V0_2 => "0.2.0",
        }
    }

    /// The first Ferrite version that serves this version (Ferrite 0.2 was
    /// the first to run plugins).
    pub fn first_ferrite(self) -> Version {
        match self {
            ApiVersion::V0_1 => Version::new(0, 2, 0),
            ApiVersion::V0_2 => Version::new(0, 3, 0),
        }
    }

    /// The versions a server of Ferrite `ferrite` serves, oldest first.
    pub fn served_by(ferrite: &Version) -> Vec<ApiVersion> {
        Self::ALL
            .into_iter()
            .filter(|v| v.first_ferrite() <= *ferrite)
            .collect()
    }

    /// The newest version a server of Ferrite `ferrite` serves, if any.
    pub fn newest_served_by(ferrite: &Version) -> Option<ApiVersion> {
        Self::served_by(ferrite).last().copied()
    }

    /// The version an imported package version (`0.2.0`, `0.2.1`) belongs
    /// to: same major version, or same minor below 1.0, as Cargo's semver
    /// compatibility has it.
    pub fn of_package(version: &str) -> Option<ApiVersion> {
        let v = Version::parse(version).ok()?;
        Self::ALL.into_iter().find(|a| {
            let p = Version::parse(a.package()).expect("a valid package version");
            p.major == v.major && (p.major > 0 || p.minor == v.minor) && v >= p
        })
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.package())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ferrite_versions_serve_every_older_api() {
        assert_eq!(
            ApiVersion::served_by(&Version::new(0, 2, 0)),
            [ApiVersion::V0_1]
        );
        assert_eq!(
            ApiVersion::served_by(&Version::new(0, 3, 0)),
            [ApiVersion::V0_1, ApiVersion::V0_2]
        );
        assert_eq!(ApiVersion::served_by(&Version::new(0, 1, 9)), []);
    }

    #[test]
    fn package_versions_map_by_semver_compatibility() {
        assert_eq!(ApiVersion::of_package("0.1.0"), Some(ApiVersion::V0_1));
        assert_eq!(ApiVersion::of_package("0.1.3"), Some(ApiVersion::V0_1));
        assert_eq!(ApiVersion::of_package("0.2.0"), Some(ApiVersion::V0_2));
        assert_eq!(ApiVersion::of_package("0.3.0"), None);
        assert_eq!(ApiVersion::of_package("1.0.0"), None);
        assert_eq!(ApiVersion::of_package("x"), None);
    }
}
