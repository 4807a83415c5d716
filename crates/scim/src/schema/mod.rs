//! SCIM schema URNs and a static description of the User resource (RFC 7643 §4.1, §4.3).
//!
//! The table is the one place that knows attribute names, types and mutability: the user
//! validator, the PATCH engine and the store's filter-to-SQL translation all resolve names
//! through it, so "what is `emails.value`?" has a single answer.

mod user_table;

pub use user_table::{ENTERPRISE_USER_ATTRIBUTES, USER_ATTRIBUTES};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The data type of an attribute (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
    Binary,
}

/// Whether and how a client may change an attribute (RFC 7643 §7, "mutability").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

/// When an attribute appears in responses (RFC 7643 §7, "returned").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

/// The scope in which values must be unique (RFC 7643 §7, "uniqueness").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

/// One attribute or sub-attribute definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    /// The canonical spelling; lookups are case-insensitive and return this.
    pub name: &'static str,
    pub attr_type: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub sub_attributes: &'static [AttributeDef],
    /// For `reference` attributes, what they may point at (RFC 7643 §7, "referenceTypes"):
    /// resource type names, `external` or `uri`. Empty for every other type.
    pub reference_types: &'static [&'static str],
}

impl AttributeDef {
    /// A single-valued, optional, case-insensitive, read-write attribute: the RFC 7643 §2.2
    /// defaults, which the builder methods below adjust.
    pub const fn new(name: &'static str, attr_type: AttrType) -> Self {
        Self {
            name,
            attr_type,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            sub_attributes: &[],
            reference_types: &[],
        }
    }

    pub const fn complex(name: &'static str, sub_attributes: &'static [AttributeDef]) -> Self {
        let mut def = Self::new(name, AttrType::Complex);
        def.sub_attributes = sub_attributes;
        def
    }

    pub const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    pub const fn mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    pub const fn returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    pub const fn unique(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    pub const fn references(mut self, reference_types: &'static [&'static str]) -> Self {
        self.reference_types = reference_types;
        self
    }

    /// A sub-attribute of this complex attribute, matched case-insensitively.
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        find(self.sub_attributes, name)
    }

    pub fn is_read_only(&self) -> bool {
        self.mutability == Mutability::ReadOnly
    }
}

/// Which part of a User resource an attribute lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaPart {
    /// Top-level attributes of the core User schema (and the common `id`, `externalId`,
    /// `meta`).
    Core,
    /// Attributes inside the object keyed by [`ENTERPRISE_USER_SCHEMA`].
    Enterprise,
}

impl SchemaPart {
    /// Which part a schema URN names, matched case-insensitively.
    pub fn from_urn(urn: &str) -> Option<Self> {
        if urn.eq_ignore_ascii_case(USER_SCHEMA) {
            Some(Self::Core)
        } else if urn.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
            Some(Self::Enterprise)
        } else {
            None
        }
    }

    pub fn attributes(self) -> &'static [AttributeDef] {
        match self {
            Self::Core => USER_ATTRIBUTES,
            Self::Enterprise => ENTERPRISE_USER_ATTRIBUTES,
        }
    }

    /// An attribute of this part, matched case-insensitively.
    pub fn attribute(self, name: &str) -> Option<&'static AttributeDef> {
        find(self.attributes(), name)
    }
}

/// A core User attribute (including `id`, `externalId` and `meta`), matched case-insensitively.
pub fn user_attribute(name: &str) -> Option<&'static AttributeDef> {
    SchemaPart::Core.attribute(name)
}

/// An Enterprise User extension attribute, matched case-insensitively.
pub fn enterprise_user_attribute(name: &str) -> Option<&'static AttributeDef> {
    SchemaPart::Enterprise.attribute(name)
}

/// Resolves a possibly URN-qualified attribute path (`schema`, `name`, `sub`, as held by
/// [`crate::AttrPath`]) to its part and definitions. A path without a schema is looked up in the
/// core schema only: extension attributes must be qualified, as RFC 7644 §3.10 requires.
pub fn resolve_attribute(
    schema: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<ResolvedAttribute> {
    let part = match schema {
        None => SchemaPart::Core,
        Some(urn) => SchemaPart::from_urn(urn)?,
    };
    let attribute = part.attribute(name)?;
    let sub_attribute = match sub {
        None => None,
        Some(sub) => Some(attribute.sub_attribute(sub)?),
    };
    Some(ResolvedAttribute {
        part,
        attribute,
        sub_attribute,
    })
}

/// The result of [`resolve_attribute`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedAttribute {
    pub part: SchemaPart,
    pub attribute: &'static AttributeDef,
    pub sub_attribute: Option<&'static AttributeDef>,
}

impl ResolvedAttribute {
    /// The definition of the innermost attribute named: the sub-attribute if there is one.
    pub fn leaf(&self) -> &'static AttributeDef {
        self.sub_attribute.unwrap_or(self.attribute)
    }
}

/// What one entry of `attributes`, `excludedAttributes` or `sortBy` names (RFC 7644 §3.10): a
/// whole schema, given as its bare URN, or one attribute or sub-attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeReference {
    Schema(SchemaPart),
    Attribute(ResolvedAttribute),
}

/// Resolves `[URN ":"] name ["." sub]`, or a bare schema URN, case-insensitively. The URN is
/// everything up to the last colon, which is how `urn:...:2.0:User:name.givenName` splits
/// despite the dot in "2.0". `None` when the text names nothing in the table.
pub fn parse_attribute_reference(text: &str) -> Option<AttributeReference> {
    let text = text.trim();
    if let Some(part) = SchemaPart::from_urn(text) {
        return Some(AttributeReference::Schema(part));
    }
    let (schema, local) = match text.rfind(':') {
        Some(colon) => (Some(&text[..colon]), &text[colon + 1..]),
        None => (None, text),
    };
    let (name, sub) = match local.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (local, None),
    };
    resolve_attribute(schema, name, sub).map(AttributeReference::Attribute)
}

fn find(defs: &'static [AttributeDef], name: &str) -> Option<&'static AttributeDef> {
    defs.iter().find(|def| def.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests;
