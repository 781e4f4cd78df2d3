//! What the generator needs to know about a schema before writing code: which Rust item every TL name
//! becomes, and how each type is (de)serialised.

use std::collections::{BTreeMap, HashMap, HashSet};

use tgwire_tl_parser::{Category, Definition, Schema, Type};

use crate::layout::Storage;
use crate::names::{is_keyword, pascal_case, shadows_prelude};
use crate::{Config, GenError};

/// How the generated code reads and writes a value of some type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Coding {
    /// Through the `Serializable`/`Deserializable` impls of its Rust type (primitives, enums, `Vec<T>` of
    /// such, generic parameters).
    Trait,
    /// Through `Bare` (a constructor written without its id).
    Bare,
    /// A vector the traits cannot express: a bare `vector<T>` or a vector of bare constructors.
    Vector {
        /// Whether the vector id precedes the count.
        boxed: bool,
        /// How each element is coded.
        element: Box<Coding>,
    },
}

/// One boxed type and the constructors generated for it.
pub(crate) struct BoxedType<'a> {
    pub(crate) namespace: Vec<String>,
    pub(crate) rust_name: String,
    pub(crate) tl_name: String,
    /// Constructors with their variant names.
    pub(crate) variants: Vec<(String, &'a Definition)>,
}

/// The resolved schema.
pub(crate) struct Model<'a> {
    pub(crate) config: &'a Config,
    /// Constructors to generate, in file order.
    pub(crate) constructors: Vec<&'a Definition>,
    /// Functions to generate, in file order.
    pub(crate) functions: Vec<&'a Definition>,
    /// Boxed types in order of first appearance.
    pub(crate) boxed: Vec<BoxedType<'a>>,
    /// Definitions of the TL `Bool` type, which maps onto Rust `bool`.
    pub(crate) bool_ids: Vec<u32>,
    by_type: HashMap<String, usize>,
    by_constructor: HashMap<String, &'a Definition>,
    /// How each constructor is held in its enum, by full TL name (see `layout`).
    storage: HashMap<String, Storage>,
    /// Constructors decoded by filling in a placeholder, by full TL name (see `fill`).
    pub(crate) filled: HashSet<String>,
    /// Boxed types whose enums decode into a field of a filled value, by full TL name (see `fill`).
    pub(crate) fill_enums: HashSet<String>,
}

const PRIMITIVES: &[&str] = &[
    "int", "long", "double", "string", "bytes", "int128", "int256", "true", "Bool",
];

impl<'a> Model<'a> {
    pub(crate) fn new(schema: &'a Schema, config: &'a Config) -> Result<Self, GenError> {
        let mut model = Model {
            config,
            constructors: Vec::new(),
            functions: Vec::new(),
            boxed: Vec::new(),
            bool_ids: Vec::new(),
            by_type: HashMap::new(),
            by_constructor: HashMap::new(),
            storage: HashMap::new(),
            filled: HashSet::new(),
            fill_enums: HashSet::new(),
        };
        for def in &schema.definitions {
            if config.skip.iter().any(|s| *s == def.full_name()) {
                continue;
            }
            match def.category {
                Category::Function => model.functions.push(def),
                Category::Type if def.ty.full_name() == "Bool" => model.bool_ids.push(def.id),
                Category::Type => {
                    model.constructors.push(def);
                    model.by_constructor.insert(def.full_name(), def);
                    let key = def.ty.full_name();
                    let index = *model.by_type.entry(key.clone()).or_insert_with(|| {
                        model.boxed.push(BoxedType {
                            namespace: def.ty.namespace.clone(),
                            rust_name: pascal_case(&def.ty.name),
                            tl_name: key,
                            variants: Vec::new(),
                        });
                        model.boxed.len() - 1
                    });
                    model.boxed[index].variants.push((String::new(), def));
                }
            }
        }
        for boxed in &mut model.boxed {
            name_variants(boxed)?;
        }
        model.check_names()?;
        model.storage = crate::layout::compute(&model);
        (model.filled, model.fill_enums) = crate::fill::plan(&model);
        Ok(model)
    }

    /// How the enum of `def`'s type holds it.
    pub(crate) fn storage(&self, def: &Definition) -> Storage {
        self.storage
            .get(&def.full_name())
            .copied()
            .unwrap_or(Storage::Boxed)
    }

    /// The constructors of boxed type `ty`, if it has any.
    pub(crate) fn variants_of(&self, ty: &Type) -> Option<Vec<&'a Definition>> {
        let index = self.by_type.get(&ty.full_name())?;
        Some(
            self.boxed[*index]
                .variants
                .iter()
                .map(|(_, d)| *d)
                .collect(),
        )
    }

    /// The boxed type `ty`, if the schema has it.
    pub(crate) fn boxed_of(&self, ty: &Type) -> Option<&BoxedType<'a>> {
        self.boxed.get(*self.by_type.get(&ty.full_name())?)
    }

    /// Struct and enum names must be unique per module and must not shadow what generated code uses.
    fn check_names(&self) -> Result<(), GenError> {
        let mut seen = HashSet::new();
        let items = self
            .constructors
            .iter()
            .map(|d| ("types", &d.namespace, pascal_case(&d.name)))
            .chain(
                self.functions
                    .iter()
                    .map(|d| ("functions", &d.namespace, pascal_case(&d.name))),
            )
            .chain(
                self.boxed
                    .iter()
                    .map(|b| ("enums", &b.namespace, b.rust_name.clone())),
            );
        for (module, namespace, name) in items {
            if namespace.len() > 1 {
                return Err(GenError::NestedNamespace(namespace.join(".")));
            }
            if shadows_prelude(&name) {
                return Err(GenError::ReservedName(name));
            }
            if !seen.insert((module, namespace.clone(), name.clone())) {
                return Err(GenError::DuplicateName(format!(
                    "{module}::{}{name}",
                    prefix(namespace)
                )));
            }
        }
        Ok(())
    }

    /// The Rust path of a constructor's struct.
    pub(crate) fn struct_path(&self, def: &Definition) -> String {
        let module = if def.category == Category::Function {
            "functions"
        } else {
            "types"
        };
        format!(
            "{}::{module}::{}{}",
            self.config.root,
            prefix(&def.namespace),
            pascal_case(&def.name)
        )
    }

    /// The Rust path of a boxed type's enum.
    pub(crate) fn enum_path(&self, boxed: &BoxedType<'_>) -> String {
        format!(
            "{}::enums::{}{}",
            self.config.root,
            prefix(&boxed.namespace),
            boxed.rust_name
        )
    }

    fn bare_constructor(&self, ty: &Type) -> Result<&'a Definition, GenError> {
        if ty.percent {
            // `%T`: the single constructor of boxed type `T`, written bare.
            let index = self
                .by_type
                .get(&ty.full_name())
                .ok_or_else(|| GenError::UnknownType(ty.to_string()))?;
            match self.boxed[*index].variants.as_slice() {
                [(_, only)] => Ok(only),
                _ => Err(GenError::UnknownType(ty.to_string())),
            }
        } else {
            self.by_constructor
                .get(&ty.full_name())
                .copied()
                .ok_or_else(|| GenError::UnknownType(ty.to_string()))
        }
    }

    /// The Rust type a TL type maps to, in the context of a definition's generic parameters.
    pub(crate) fn rust_type(&self, ty: &Type, generics: &[String]) -> Result<String, GenError> {
        if ty.generic_ref || (ty.namespace.is_empty() && generics.contains(&ty.name)) {
            return Ok(ty.name.clone());
        }
        if ty.namespace.is_empty() {
            let primitive = match ty.name.as_str() {
                "int" => Some("i32"),
                "long" => Some("i64"),
                "double" => Some("f64"),
                "string" => Some("crate::TlString"),
                "bytes" => Some("crate::TlBytes"),
                "int128" => Some("[u8; 16]"),
                "int256" => Some("[u8; 32]"),
                "Bool" | "true" => Some("bool"),
                _ => None,
            };
            if let Some(p) = primitive {
                return Ok(p.to_owned());
            }
            if ty.name == "Vector" || ty.name == "vector" {
                let arg = ty
                    .generic_arg
                    .as_deref()
                    .ok_or_else(|| GenError::UnknownType(ty.to_string()))?;
                return Ok(format!("Vec<{}>", self.rust_type(arg, generics)?));
            }
        }
        if ty.bare {
            return Ok(self.struct_path(self.bare_constructor(ty)?));
        }
        let index = self
            .by_type
            .get(&ty.full_name())
            .ok_or_else(|| GenError::UnknownType(ty.to_string()))?;
        Ok(self.enum_path(&self.boxed[*index]))
    }

    /// How values of a TL type are coded.
    pub(crate) fn coding(&self, ty: &Type, generics: &[String]) -> Result<Coding, GenError> {
        let is_generic = ty.generic_ref || (ty.namespace.is_empty() && generics.contains(&ty.name));
        if is_generic || (ty.namespace.is_empty() && PRIMITIVES.contains(&ty.name.as_str())) {
            return Ok(Coding::Trait);
        }
        if ty.namespace.is_empty() && (ty.name == "Vector" || ty.name == "vector") {
            let arg = ty
                .generic_arg
                .as_deref()
                .ok_or_else(|| GenError::UnknownType(ty.to_string()))?;
            let element = self.coding(arg, generics)?;
            let boxed = ty.name == "Vector";
            return Ok(if boxed && element == Coding::Trait {
                Coding::Trait
            } else {
                Coding::Vector {
                    boxed,
                    element: Box::new(element),
                }
            });
        }
        if ty.bare {
            self.bare_constructor(ty)?;
            return Ok(Coding::Bare);
        }
        Ok(Coding::Trait)
    }
}

/// `messages::` for namespace `["messages"]`, empty for the root.
pub(crate) fn prefix(namespace: &[String]) -> String {
    namespace.iter().map(|n| format!("{n}::")).collect()
}

/// Variant names drop the type's name when the constructor starts with it (`inputPeerUser` of `InputPeer`
/// is `InputPeer::User`), unless that leaves nothing, a keyword, or a clash.
fn name_variants(boxed: &mut BoxedType<'_>) -> Result<(), GenError> {
    let full: Vec<String> = boxed
        .variants
        .iter()
        .map(|(_, d)| pascal_case(&d.name))
        .collect();
    let short: Vec<String> = full
        .iter()
        .map(|name| match name.strip_prefix(&boxed.rust_name) {
            Some(rest)
                if rest.starts_with(|c: char| c.is_ascii_uppercase()) && !is_keyword(rest) =>
            {
                rest.to_owned()
            }
            _ => name.clone(),
        })
        .collect();
    let mut seen = HashSet::new();
    let unique = short.iter().all(|s| seen.insert(s.as_str()));
    let chosen = if unique { short } else { full };
    let mut check = BTreeMap::new();
    for ((slot, _), name) in boxed.variants.iter_mut().zip(chosen) {
        if check.insert(name.clone(), ()).is_some() {
            return Err(GenError::DuplicateName(format!(
                "{}::{name}",
                boxed.rust_name
            )));
        }
        *slot = name;
    }
    Ok(())
}
