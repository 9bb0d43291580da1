//! The allergy check: does a drug about to be prescribed match an active
//! allergy? Two ways to match, both case- and accent-insensitive:
//!
//! 1. by name: the recorded substance appears in the drug's name or the
//!    drug's name in the substance ("Penicillin" / "Penicillin V 250 mg");
//! 2. by class, from a small shipped map: an allergy to a class (coded, or
//!    named in the substance: "penicillins", "sulfa drugs", "NSAIDs") or to
//!    one member of it (amoxicillin) matches every member of that class.
//!
//! It is a safety net, not a drug database: no match does not mean safe.

use serde::{Deserialize, Serialize};

/// A drug class of the shipped map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrugClass {
    /// Stored with a coded allergy, e.g. `penicillins`.
    pub key: &'static str,
    /// Shown in pickers and warnings, e.g. "Penicillins".
    pub label: &'static str,
    /// What a person writes for the class itself (folded: lower case, no accents).
    pub names: &'static [&'static str],
    /// Generic names of its members (folded).
    pub members: &'static [&'static str],
}

pub const DRUG_CLASSES: &[DrugClass] = &[
    DrugClass {
        key: "penicillins",
        label: "Penicillins",
        names: &["penicillin", "penicilina", "beta-lactam"],
        members: &[
            "amoxicillin", "amoxicilina", "ampicillin", "ampicilina", "penicillin", "benzylpenicillin", "phenoxymethylpenicillin",
            "flucloxacillin", "dicloxacillin", "cloxacillin", "oxacillin", "nafcillin", "piperacillin", "ticarcillin", "co-amoxiclav",
            "augmentin", "temocillin", "pivmecillinam",
        ],
    },
    DrugClass {
        key: "cephalosporins",
        label: "Cephalosporins",
        names: &["cephalosporin"],
        members: &["cefalexin", "cephalexin", "cefazolin", "cefuroxime", "ceftriaxone", "cefotaxime", "ceftazidime", "cefixime", "cefaclor", "cefepime", "cefadroxil", "cefpodoxime"],
    },
    DrugClass {
        key: "sulfonamides",
        label: "Sulfonamides (sulfa drugs)",
        names: &["sulfonamide", "sulphonamide", "sulfa", "sulpha"],
        members: &["sulfamethoxazole", "sulphamethoxazole", "co-trimoxazole", "cotrimoxazole", "trimethoprim-sulfamethoxazole", "bactrim", "septrin", "sulfadiazine", "sulfasalazine", "sulfacetamide", "dapsone"],
    },
    DrugClass {
        key: "nsaids",
        label: "NSAIDs",
        names: &["nsaid", "anti-inflammator", "antiinflammator"],
        members: &["ibuprofen", "naproxen", "aspirin", "acetylsalicylic", "diclofenac", "ketoprofen", "indometacin", "indomethacin", "celecoxib", "etoricoxib", "meloxicam", "piroxicam", "ketorolac", "mefenamic", "nabumetone", "etodolac", "dexketoprofen", "metamizole"],
    },
    DrugClass {
        key: "macrolides",
        label: "Macrolides",
        names: &["macrolide"],
        members: &["erythromycin", "clarithromycin", "azithromycin", "roxithromycin"],
    },
    DrugClass {
        key: "tetracyclines",
        label: "Tetracyclines",
        names: &["tetracycline"],
        members: &["tetracycline", "doxycycline", "minocycline", "lymecycline", "oxytetracycline"],
    },
    DrugClass {
        key: "fluoroquinolones",
        label: "Fluoroquinolones",
        names: &["quinolone"],
        members: &["ciprofloxacin", "levofloxacin", "moxifloxacin", "ofloxacin", "norfloxacin"],
    },
    DrugClass {
        key: "opioids",
        label: "Opioids",
        names: &["opioid", "opiate"],
        members: &["morphine", "codeine", "tramadol", "oxycodone", "hydromorphone", "fentanyl", "tapentadol", "buprenorphine", "methadone", "pethidine", "dihydrocodeine", "hydrocodone"],
    },
    DrugClass {
        key: "ace_inhibitors",
        label: "ACE inhibitors",
        names: &["ace inhibitor", "ace-inhibitor"],
        members: &["lisinopril", "enalapril", "ramipril", "perindopril", "captopril", "quinapril", "fosinopril", "trandolapril"],
    },
    DrugClass {
        key: "statins",
        label: "Statins",
        names: &["statin"],
        members: &["atorvastatin", "simvastatin", "rosuvastatin", "pravastatin", "fluvastatin", "pitavastatin", "lovastatin"],
    },
];

pub fn class_by_key(key: &str) -> Option<&'static DrugClass> {
    DRUG_CLASSES.iter().find(|c| c.key == key)
}

/// Lower case without accents, so "Amoxicilina", "AMOXICILINA" and
/// "amoxicilína" compare equal. Covers the Latin letters clinics here type;
/// anything else is kept as it is.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'ç' | 'ć' | 'č' => out.push('c'),
            'ď' => out.push('d'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => out.push('i'),
            'ł' => out.push('l'),
            'ñ' | 'ń' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => out.push('o'),
            'ř' => out.push('r'),
            'ś' | 'š' | 'ș' | 'ş' => out.push('s'),
            'ť' | 'ț' => out.push('t'),
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            // Combining accents (a decomposed "é") disappear.
            '\u{0300}'..='\u{036F}' => {}
            c => out.push(c),
        }
    }
    out
}

/// An allergy as the check needs it.
#[derive(Debug, Clone)]
pub struct KnownAllergy<'a> {
    pub substance: &'a str,
    /// A `DrugClass::key`, when the allergy was coded.
    pub coded: Option<&'a str>,
    /// "severe", … (shown in the warning).
    pub severity: &'a str,
}

/// One warning: which recorded allergy, and why it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllergyHit {
    pub substance: String,
    pub severity: String,
    pub why: String,
}

impl AllergyHit {
    /// "Penicillin (severe): amoxicillin is one of the penicillins."
    pub fn message(&self) -> String {
        format!("{} ({}): {}", self.substance, self.severity, self.why)
    }
}

/// Short names ("A", "ab") would match nearly everything: at least three
/// letters are needed for a name match.
const MIN_NAME: usize = 3;

fn classes_of(substance: &str, coded: Option<&str>) -> Vec<&'static DrugClass> {
    DRUG_CLASSES
        .iter()
        .filter(|class| {
            coded == Some(class.key)
                || class.names.iter().any(|n| substance.contains(n))
                || class.members.iter().any(|m| substance.contains(m))
        })
        .collect()
}

/// The active allergies `drug` matches, each once.
pub fn check_drug(drug: &str, allergies: &[KnownAllergy<'_>]) -> Vec<AllergyHit> {
    let drug_folded = fold(drug.trim());
    if drug_folded.chars().count() < MIN_NAME {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for allergy in allergies {
        let substance = fold(allergy.substance.trim());
        let hit = |why: String| AllergyHit { substance: allergy.substance.trim().to_owned(), severity: allergy.severity.to_owned(), why };
        let by_name = substance.chars().count() >= MIN_NAME
            && (drug_folded.contains(&substance) || substance.contains(&drug_folded));
        if by_name {
            hits.push(hit(format!("the drug's name matches the recorded substance \"{}\".", allergy.substance.trim())));
            continue;
        }
        let class = classes_of(&substance, allergy.coded).into_iter().find_map(|class| {
            class
                .members
                .iter()
                .chain(class.names.iter())
                .find(|member| drug_folded.contains(*member))
                .map(|member| (class, *member))
        });
        if let Some((class, member)) = class {
            hits.push(hit(format!("{member} is one of the {}.", class.label.to_lowercase())));
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allergy<'a>(substance: &'a str, coded: Option<&'a str>) -> KnownAllergy<'a> {
        KnownAllergy { substance, coded, severity: "severe" }
    }

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(fold("AMOXICILÍNA"), "amoxicilina");
        assert_eq!(fold("Naproxène"), "naproxene");
        assert_eq!(fold("Ibupro\u{0301}fen"), "ibuprofen");
        assert_eq!(fold("Straße"), "strasse");
    }

    #[test]
    fn a_penicillin_allergy_warns_for_amoxicillin_and_ampicillin() {
        let allergies = [allergy("Penicillin", None)];
        for drug in ["Amoxicillin 500 mg capsules", "AMPICILLIN", "Co-amoxiclav", "Penicillin V", "amoxicilina"] {
            let hits = check_drug(drug, &allergies);
            assert_eq!(hits.len(), 1, "{drug}");
            assert_eq!(hits[0].substance, "Penicillin");
        }
        assert!(check_drug("Amoxicillin", &allergies)[0].message().contains("penicillins"));
        assert!(check_drug("Paracetamol", &allergies).is_empty());
        assert!(check_drug("Azithromycin", &allergies).is_empty());
    }

    #[test]
    fn coded_classes_and_members_match_the_whole_class() {
        // Coded as NSAIDs, whatever the free text says.
        let coded = [allergy("Painkillers (rash)", Some("nsaids"))];
        for drug in ["Ibuprofen", "naproxen sodium", "Aspirin 75 mg", "Diclofenac gel"] {
            assert_eq!(check_drug(drug, &coded).len(), 1, "{drug}");
        }
        // An allergy to one member warns for the others.
        let member = [allergy("Ibuprofeno", None)];
        assert_eq!(check_drug("Naproxen", &member).len(), 1);
        // A local-anaesthetic allergy is not an NSAID allergy.
        assert!(check_drug("Ibuprofen", &[allergy("Lidocaine", None)]).is_empty());
        // Sulfa drugs by class name.
        let sulfa = [allergy("Sulfa drugs", None)];
        assert_eq!(check_drug("Sulfamethoxazole/trimethoprim", &sulfa).len(), 1);
        assert_eq!(check_drug("Co-trimoxazole", &sulfa).len(), 1);
        assert!(check_drug("Trimethoprim", &sulfa).is_empty());
    }

    #[test]
    fn tiny_names_and_unrelated_allergies_do_not_warn() {
        assert!(check_drug("Amoxicillin", &[allergy("a", None)]).is_empty());
        assert!(check_drug("ab", &[allergy("Penicillin", None)]).is_empty());
        assert!(check_drug("Amoxicillin", &[allergy("Peanuts", None), allergy("Latex", None)]).is_empty());
        let two = [allergy("Penicillin", None), allergy("amoxicillin", Some("penicillins"))];
        assert_eq!(check_drug("Amoxicillin", &two).len(), 2, "each matching allergy is named once");
    }

    #[test]
    fn every_class_key_is_unique_and_names_are_folded() {
        for (i, class) in DRUG_CLASSES.iter().enumerate() {
            assert!(DRUG_CLASSES[i + 1..].iter().all(|c| c.key != class.key));
            for name in class.members.iter().chain(class.names) {
                assert_eq!(fold(name), *name, "{name} must be stored folded");
            }
            assert_eq!(class_by_key(class.key), Some(class));
        }
    }
}
