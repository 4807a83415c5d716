//! Any input to the filter parser either parses or is refused with a SCIM error, never a
//! panic; and whatever parses prints as text that parses back to the very same tree.

#![no_main]

use libfuzzer_sys::fuzz_target;
use usertrail_scim::{ScimType, parse_filter};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match parse_filter(input) {
        Ok(filter) => {
            let printed = filter.to_string();
            let reparsed = parse_filter(&printed)
                .unwrap_or_else(|error| panic!("{input:?} printed as {printed:?}: {error}"));
            assert_eq!(reparsed, filter, "{input:?} printed as {printed:?}");
        }
        Err(error) => {
            assert_eq!(error.status, 400, "{input:?}");
            assert_eq!(error.scim_type, Some(ScimType::InvalidFilter), "{input:?}");
        }
    }
});
