//! Bad input never panics: arbitrary bytes, and damaged copies of valid files, in every format
//! give a report (usually one file-level error), never a crash.

use std::sync::Arc;

use clusterkpi::pipeline::check_bytes;
use clusterkpi::read::Format;
use proptest::prelude::*;

use crate::util::{assert_accounted, root, schema};

const FORMATS: [Format; 9] = Format::ALL;

fn parity_bytes(ext: &str) -> Vec<u8> {
    std::fs::read(root().join(format!("tests/fixtures/parity/submission.{ext}"))).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_in_any_format(bytes in proptest::collection::vec(any::<u8>(), 0..2048), f in 0..FORMATS.len()) {
        let report = check_bytes(&bytes, FORMATS[f], &Arc::from("fuzz"), &schema());
        assert_accounted(&report);
    }

    #[test]
    fn damaged_valid_files(ext in prop::sample::select(vec!["xlsx", "xls", "ods", "csv", "json", "jsonl"]),
                           flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
                           cut in any::<prop::sample::Index>()) {
        let mut bytes = parity_bytes(ext);
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep.max(bytes.len() / 2));
        let format = Format::from_path(std::path::Path::new(&format!("x.{ext}"))).unwrap();
        let report = check_bytes(&bytes, format, &Arc::from("damaged"), &schema());
        assert_accounted(&report);
    }
}
