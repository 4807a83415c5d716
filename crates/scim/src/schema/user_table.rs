//! The attribute table of the core User schema and the Enterprise User extension, transcribed
//! from the schema representations in RFC 7643 §8.7.1 and §8.7.2.

use super::AttrType::{Binary, Boolean, DateTime, Reference, String as Str};
use super::Mutability::{ReadOnly, WriteOnly};
use super::{AttributeDef as A, Returned, Uniqueness};

const NAME: &[A] = &[
    A::new("formatted", Str),
    A::new("familyName", Str),
    A::new("givenName", Str),
    A::new("middleName", Str),
    A::new("honorificPrefix", Str),
    A::new("honorificSuffix", Str),
];

/// The value/display/type/primary shape shared by emails, phoneNumbers, ims, entitlements and
/// roles.
const PLURAL: &[A] = &[
    A::new("value", Str),
    A::new("display", Str),
    A::new("type", Str),
    A::new("primary", Boolean),
];

const PHOTOS: &[A] = &[
    A::new("value", Reference)
        .case_exact()
        .references(&["external"]),
    A::new("display", Str),
    A::new("type", Str),
    A::new("primary", Boolean),
];

const ADDRESSES: &[A] = &[
    A::new("formatted", Str),
    A::new("streetAddress", Str),
    A::new("locality", Str),
    A::new("region", Str),
    A::new("postalCode", Str),
    A::new("country", Str),
    A::new("type", Str),
    A::new("primary", Boolean),
];

const GROUPS: &[A] = &[
    A::new("value", Str).mutability(ReadOnly),
    A::new("$ref", Reference)
        .case_exact()
        .mutability(ReadOnly)
        .references(&["User", "Group"]),
    A::new("display", Str).mutability(ReadOnly),
    A::new("type", Str).mutability(ReadOnly),
];

const X509: &[A] = &[
    A::new("value", Binary).case_exact(),
    A::new("display", Str),
    A::new("type", Str),
    A::new("primary", Boolean),
];

/// `meta` of every resource type (RFC 7643 §3.1).
pub(super) const META: &[A] = &[
    A::new("resourceType", Str)
        .case_exact()
        .mutability(ReadOnly),
    A::new("created", DateTime).mutability(ReadOnly),
    A::new("lastModified", DateTime).mutability(ReadOnly),
    A::new("location", Reference)
        .case_exact()
        .mutability(ReadOnly)
        .references(&["uri"]),
    A::new("version", Str).case_exact().mutability(ReadOnly),
];

// FIXME: `schemas` is not in the table; a filter such as `schemas eq "urn:..."` must be
// special-cased by the store.
/// Core User attributes plus the common attributes `id`, `externalId` and `meta` (RFC 7643
/// §3.1), which every resource carries and filters may name.
pub const USER_ATTRIBUTES: &[A] = &[
    A::new("id", Str)
        .case_exact()
        .mutability(ReadOnly)
        .returned(Returned::Always)
        .unique(Uniqueness::Server),
    A::new("externalId", Str).case_exact(),
    A::complex("meta", META).mutability(ReadOnly),
    A::new("userName", Str)
        .required()
        .unique(Uniqueness::Server),
    A::complex("name", NAME),
    A::new("displayName", Str),
    A::new("nickName", Str),
    A::new("profileUrl", Reference)
        .case_exact()
        .references(&["external"]),
    A::new("title", Str),
    A::new("userType", Str),
    A::new("preferredLanguage", Str),
    A::new("locale", Str),
    A::new("timezone", Str),
    A::new("active", Boolean),
    A::new("password", Str)
        .mutability(WriteOnly)
        .returned(Returned::Never),
    A::complex("emails", PLURAL).multi(),
    A::complex("phoneNumbers", PLURAL).multi(),
    A::complex("ims", PLURAL).multi(),
    A::complex("photos", PHOTOS).multi(),
    A::complex("addresses", ADDRESSES).multi(),
    A::complex("groups", GROUPS).multi().mutability(ReadOnly),
    A::complex("entitlements", PLURAL).multi(),
    A::complex("roles", PLURAL).multi(),
    A::complex("x509Certificates", X509).multi(),
];

const MANAGER: &[A] = &[
    A::new("value", Str),
    A::new("$ref", Reference).case_exact().references(&["User"]),
    A::new("displayName", Str).mutability(ReadOnly),
];

/// Attributes of the Enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER_ATTRIBUTES: &[A] = &[
    A::new("employeeNumber", Str),
    A::new("costCenter", Str),
    A::new("organization", Str),
    A::new("division", Str),
    A::new("department", Str),
    A::complex("manager", MANAGER),
];
