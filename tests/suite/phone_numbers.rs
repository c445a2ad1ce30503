//! The service judges phone numbers as libphonenumber does: every number of
//! `tests/phones/corpus.tsv` (made by Python `phonenumbers` pinned to the Rust side's metadata,
//! `scripts/phone-metadata.sh`) gets the same validity, region and E.164 form, international
//! and national (with the header contract's `countryCode`).

use otp_core::domain::E164;
use otp_tests::repo_file;

#[test]
fn every_number_of_the_corpus_is_judged_as_libphonenumber_judges_it() {
    let corpus = repo_file("tests/phones/corpus.tsv");
    let pinned = repo_file("tests/phones/requirements.txt");
    let header = corpus.lines().next().unwrap();
    let version = pinned.trim().trim_start_matches("phonenumbers==");
    assert!(
        header.starts_with(&format!("# phonenumbers {version}:")),
        "the corpus was made by another version than {pinned}: {header}"
    );
    let (mut numbers, mut valid, mut national) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for line in corpus.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let [input, region, expected, number_region, e164] = f[..] else {
            panic!("malformed line {line:?}");
        };
        let parsed = match region {
            "" => E164::parse(input),
            r => E164::parse_national(input, r),
        };
        let got = parsed.map(|p| {
            let country = p.country().unwrap_or_else(|| "001".into());
            (p.as_str().to_string(), country)
        });
        let want = (expected == "1").then(|| (e164.to_string(), number_region.to_string()));
        if got != want {
            disagreements.push(format!(
                "{input:?} ({region:?}): libphonenumber {want:?}, service {got:?}"
            ));
        }
        numbers += 1;
        valid += usize::from(expected == "1");
        national += usize::from(!region.is_empty());
    }
    println!(
        "{numbers} numbers ({valid} valid, {national} national), {} disagreements",
        disagreements.len()
    );
    assert!(numbers >= 20_000, "the corpus has {numbers} numbers");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
