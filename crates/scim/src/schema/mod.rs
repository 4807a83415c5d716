//! SCIM schema URNs and a static description of the User and Group resources (RFC 7643 §4).
//!
//! The tables are the one place that knows attribute names, types and mutability: the body
//! validators, the PATCH engine and the store's filter-to-SQL translation all resolve names
//! through them, so "what is `emails.value`?" has a single answer. Every lookup is scoped
//! to a [`ResourceKind`], so a Group request can never name a User attribute or vice versa.

mod group_table;
mod user_table;

pub use group_table::GROUP_ATTRIBUTES;
pub use user_table::{ENTERPRISE_USER_ATTRIBUTES, USER_ATTRIBUTES};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// Checks that the `schemas` of a message body (PatchOp, SearchRequest, ...) lists `urn`, in
/// any case; 400 `invalidValue` otherwise. Other URNs beside it are tolerated.
pub fn require_message_schema(
    schemas: Option<&serde_json::Value>,
    urn: &str,
) -> Result<(), crate::ScimError> {
    let listed = schemas
        .and_then(serde_json::Value::as_array)
        .is_some_and(|urns| {
            urns.iter()
                .any(|listed| listed.as_str().is_some_and(|u| u.eq_ignore_ascii_case(urn)))
        });
    if listed {
        return Ok(());
    }
    Err(crate::ScimError::bad_request(
        crate::ScimType::InvalidValue,
        format!("'schemas' must be an array that contains \"{urn}\""),
    ))
}

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

/// The resource types this server serves. Each has a core schema whose attributes sit at
/// the top level of the resource, and possibly extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResourceKind {
    #[default]
    User,
    Group,
}

impl ResourceKind {
    /// The resource type's name, as in `meta.resourceType`.
    pub fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }

    /// The part that holds the top-level attributes.
    pub fn core(self) -> SchemaPart {
        match self {
            Self::User => SchemaPart::Core,
            Self::Group => SchemaPart::Group,
        }
    }

    /// Every part a resource of this type may carry, core first.
    pub fn parts(self) -> &'static [SchemaPart] {
        match self {
            Self::User => &[SchemaPart::Core, SchemaPart::Enterprise],
            Self::Group => &[SchemaPart::Group],
        }
    }

    /// The part of this resource type that a schema URN names, matched case-insensitively.
    pub fn part_from_urn(self, urn: &str) -> Option<SchemaPart> {
        SchemaPart::from_urn(urn).filter(|part| self.parts().contains(part))
    }
}

/// Which part of a resource an attribute lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaPart {
    /// Top-level attributes of the core User schema (and the common `id`, `externalId`,
    /// `meta`).
    Core,
    /// Attributes inside the object keyed by [`ENTERPRISE_USER_SCHEMA`].
    Enterprise,
    /// Top-level attributes of the core Group schema (and the common ones).
    Group,
}

impl SchemaPart {
    /// Which part a schema URN names, matched case-insensitively.
    pub fn from_urn(urn: &str) -> Option<Self> {
        [Self::Core, Self::Enterprise, Self::Group]
            .into_iter()
            .find(|part| part.urn().eq_ignore_ascii_case(urn))
    }

    pub fn urn(self) -> &'static str {
        match self {
            Self::Core => USER_SCHEMA,
            Self::Enterprise => ENTERPRISE_USER_SCHEMA,
            Self::Group => GROUP_SCHEMA,
        }
    }

    /// Whether the part's attributes live in an object keyed by its URN rather than at the
    /// top level of the resource.
    pub fn is_extension(self) -> bool {
        self == Self::Enterprise
    }

    pub fn attributes(self) -> &'static [AttributeDef] {
        match self {
            Self::Core => USER_ATTRIBUTES,
            Self::Enterprise => ENTERPRISE_USER_ATTRIBUTES,
            Self::Group => GROUP_ATTRIBUTES,
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

/// [`resolve_attribute_in`] for the User resource.
pub fn resolve_attribute(
    schema: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<ResolvedAttribute> {
    resolve_attribute_in(ResourceKind::User, schema, name, sub)
}

/// Resolves a possibly URN-qualified attribute path (`schema`, `name`, `sub`, as held by
/// [`crate::AttrPath`]) of a `kind` resource to its part and definitions. A path without a
/// schema is looked up in the core schema only: extension attributes must be qualified, as
/// RFC 7644 §3.10 requires.
pub fn resolve_attribute_in(
    kind: ResourceKind,
    schema: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<ResolvedAttribute> {
    let part = match schema {
        None => kind.core(),
        Some(urn) => kind.part_from_urn(urn)?,
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
    parse_attribute_reference_in(ResourceKind::User, text)
}

/// [`parse_attribute_reference`] for a resource of `kind`.
pub fn parse_attribute_reference_in(kind: ResourceKind, text: &str) -> Option<AttributeReference> {
    let text = text.trim();
    if let Some(part) = kind.part_from_urn(text) {
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
    resolve_attribute_in(kind, schema, name, sub).map(AttributeReference::Attribute)
}

fn find(defs: &'static [AttributeDef], name: &str) -> Option<&'static AttributeDef> {
    defs.iter().find(|def| def.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests;
