//! Any input to the PATCH path parser either parses or is refused with 400 `invalidPath`,
//! never a panic; and whatever parses prints as text that parses back to the same path.

#![no_main]

use libfuzzer_sys::fuzz_target;
use usertrail_scim::{ScimType, parse_patch_path};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match parse_patch_path(input) {
        Ok(path) => {
            let printed = path.to_string();
            let reparsed = parse_patch_path(&printed)
                .unwrap_or_else(|error| panic!("{input:?} printed as {printed:?}: {error}"));
            assert_eq!(reparsed, path, "{input:?} printed as {printed:?}");
        }
        Err(error) => {
            assert_eq!(error.status, 400, "{input:?}");
            assert_eq!(error.scim_type, Some(ScimType::InvalidPath), "{input:?}");
        }
    }
});
