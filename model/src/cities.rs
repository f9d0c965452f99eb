//! The SCC lighthouse projects and their cities (`content/data/scc-projects.yaml`).

use crate::error::ContentError;
use crate::yaml;
use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize};
use std::path::Path;
use unicode_normalization::UnicodeNormalization;

/// A month, as the data gives project dates ("2020-06").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct YearMonth {
    pub year: i16,
    pub month: i8,
}

impl YearMonth {
    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).expect("validated month")
    }
    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("`{s}` is not a month like 2020-06"));
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        let (year, month): (i16, i8) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if y.len() != 4 || m.len() != 2 || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(YearMonth { year, month })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    pub name: String,
    pub country: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub acronym: String,
    pub name: String,
    pub start: YearMonth,
    /// Last month of the grant, extensions included.
    pub end: YearMonth,
    pub dates_confidence: String,
    pub lighthouse_cities: Vec<City>,
    pub fellow_cities: Vec<City>,
    #[serde(default)]
    pub observer_cities: Vec<City>,
    pub source: String,
    #[serde(default)]
    pub other_sources: Vec<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl Project {
    /// Ended on `date` when that day is after the last day of its last month.
    pub fn has_ended_on(&self, date: Date) -> bool {
        date > self.end.last_day()
    }
    /// Whether the data gives a sure end month (read from a source, or worked
    /// out from a published duration), not a planned date or an estimate. The
    /// projects page shows the end only then, and the claim form judges
    /// "ended" only then: one fact for both.
    pub fn end_known(&self) -> bool {
        matches!(self.dates_confidence.as_str(), "confirmed" | "inferred")
    }
    pub fn cities(&self) -> impl Iterator<Item = (Role, &City)> {
        let l = self.lighthouse_cities.iter().map(|c| (Role::Lighthouse, c));
        let f = self.fellow_cities.iter().map(|c| (Role::Fellow, c));
        let o = self.observer_cities.iter().map(|c| (Role::Observer, c));
        l.chain(f).chain(o)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Lighthouse,
    Fellow,
    Observer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lighthouse => "lighthouse",
            Role::Fellow => "fellow",
            Role::Observer => "observer",
        }
    }
}

/// One role a city plays in one project.
#[derive(Debug, Clone, Copy)]
pub struct CityMatch<'a> {
    pub project: &'a Project,
    pub role: Role,
    pub city: &'a City,
}

impl CityMatch<'_> {
    /// Stable key of the city across projects and spellings: `ES:valladolid`.
    pub fn key(&self) -> String {
        city_key(&self.city.name, &self.city.country)
    }
}

pub fn city_key(name: &str, country: &str) -> String {
    format!("{}:{}", country.to_ascii_uppercase(), normalize_name(name).replace(' ', "-"))
}

/// Folds a city name for matching: no case, no diacritics, punctuation as spaces.
/// "Tepebaşı (Eskişehir)" -> "tepebasi eskisehir"; "Köln" -> "koln".
pub fn normalize_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        // Letters that have no decomposition in Unicode but are read as their base letter.
        let folded: &str = match c {
            'ı' => "i",
            'ø' | 'Ø' => "o",
            'æ' | 'Æ' => "ae",
            'ß' => "ss",
            'ł' | 'Ł' => "l",
            'đ' | 'Đ' => "d",
            _ => "",
        };
        if !folded.is_empty() {
            out.push_str(folded);
            space = false;
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// All SCC projects, searchable by city.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub projects: Vec<Project>,
}

impl Directory {
    pub fn parse(file: &Path, text: &str) -> Result<Directory, Vec<ContentError>> {
        let projects: Vec<Project> = yaml::parse(file, text, 1).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        for p in &projects {
            let line = find_line(text, &format!("acronym: {}", p.acronym));
            if p.end < p.start {
                errors.push(ContentError::new(file, line, 1, format!("project {}: end {} is before start {}", p.acronym, p.end, p.start)));
            }
            for (_, c) in p.cities() {
                if !crate::event::is_country_code(&c.country) {
                    errors.push(ContentError::new(
                        file,
                        find_line(text, &c.name),
                        1,
                        format!("city {}: country `{}` is not an ISO 3166-1 alpha-2 code", c.name, c.country),
                    ));
                }
            }
        }
        if errors.is_empty() { Ok(Directory { projects }) } else { Err(errors) }
    }

    /// Every role of the city a person typed, matched on name or alias
    /// ignoring case and diacritics; `country` (alpha-2) narrows it down.
    pub fn find(&self, name: &str, country: Option<&str>) -> Vec<CityMatch<'_>> {
        let wanted = normalize_name(name);
        if wanted.is_empty() {
            return Vec::new();
        }
        let mut found = Vec::new();
        for project in &self.projects {
            for (role, city) in project.cities() {
                let country_ok = country.is_none_or(|c| c.eq_ignore_ascii_case(&city.country));
                let name_ok = normalize_name(&city.name) == wanted || city.aliases.iter().any(|a| normalize_name(a) == wanted);
                if country_ok && name_ok {
                    found.push(CityMatch { project, role, city });
                }
            }
        }
        found
    }

    /// Every role of the city with this key (`CityMatch::key`).
    pub fn by_key(&self, key: &str) -> Vec<CityMatch<'_>> {
        let mut found = Vec::new();
        for project in &self.projects {
            for (role, city) in project.cities() {
                if city_key(&city.name, &city.country) == key {
                    found.push(CityMatch { project, role, city });
                }
            }
        }
        found
    }
}

fn find_line(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_names() {
        assert_eq!(normalize_name("Tepebaşı (Eskişehir)"), "tepebasi eskisehir");
        assert_eq!(normalize_name("  KÖLN "), "koln");
        assert_eq!(normalize_name("Derry~Londonderry"), "derry londonderry");
        assert_eq!(normalize_name("San Sebastián"), "san sebastian");
        assert_eq!(normalize_name("Litoměřice"), "litomerice");
    }

    #[test]
    fn real_data_parses_and_matches_aliases() {
        let text = include_str!("../../content/data/scc-projects.yaml");
        let dir = Directory::parse(Path::new("scc-projects.yaml"), text).unwrap();
        assert_eq!(dir.projects.len(), 18);
        let m = dir.find("koln", Some("de"));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].city.name, "Cologne");
        assert_eq!(m[0].role, Role::Lighthouse);
        assert_eq!(m[0].key(), "DE:cologne");
        assert!(dir.find("Cologne", Some("FR")).is_empty());
        assert_eq!(dir.find("DONOSTIA", None)[0].city.name, "San Sebastián");
    }

    #[test]
    fn ended_is_judged_after_the_last_month() {
        let text = include_str!("../../tests/fixture-site/content/data/scc-projects.yaml");
        let dir = Directory::parse(Path::new("scc-projects.yaml"), text).unwrap();
        let remourban = dir.projects.iter().find(|p| p.acronym == "REMOURBAN").unwrap();
        assert!(!remourban.has_ended_on(Date::constant(2020, 6, 30)));
        assert!(remourban.has_ended_on(Date::constant(2020, 7, 1)));
    }

    #[test]
    fn bad_month_is_located() {
        let errs = Directory::parse(Path::new("p.yaml"), "- acronym: X\n  name: X\n  start: \"2020-13\"\n").unwrap_err();
        assert_eq!(errs[0].line, 3, "{errs:?}");
    }
}
