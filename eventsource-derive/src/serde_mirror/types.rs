//! What the serde mirror reads off a field's type: the lifetimes it names, whether serde
//! borrows it implicitly. Used by the attributes (which lifetimes a field borrows) and the
//! bounds alike.

use syn::{Lifetime, Type};

/// The type inside any invisible groups (from `macro_rules!` fragments).
pub(super) fn ungroup(mut ty: &Type) -> &Type {
    while let Type::Group(group) = ty {
        ty = &group.elem;
    }
    ty
}

/// Every lifetime a type names (those it could borrow from a deserializer).
pub(super) fn lifetimes(ty: &Type, out: &mut Vec<Lifetime>) {
    match ty {
        Type::Array(t) => lifetimes(&t.elem, out),
        Type::Group(t) => lifetimes(&t.elem, out),
        Type::Paren(t) => lifetimes(&t.elem, out),
        Type::Ptr(t) => lifetimes(&t.elem, out),
        Type::Slice(t) => lifetimes(&t.elem, out),
        Type::Tuple(t) => t.elems.iter().for_each(|t| lifetimes(t, out)),
        Type::Reference(t) => {
            out.extend(t.lifetime.iter().cloned());
            lifetimes(&t.elem, out);
        }
        Type::Path(t) => {
            if let Some(qself) = &t.qself {
                lifetimes(&qself.ty, out);
            }
            for segment in &t.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                    for arg in &args.args {
                        match arg {
                            syn::GenericArgument::Lifetime(l) => out.push(l.clone()),
                            syn::GenericArgument::Type(t) => lifetimes(t, out),
                            syn::GenericArgument::AssocType(t) => lifetimes(&t.ty, out),
                            _ => {}
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// Whether serde borrows a field of this type with no `borrow` attribute: `&str`,
/// `&[u8]`, or an `Option` of one.
pub(super) fn implicitly_borrowed(ty: &Type) -> bool {
    shared_str_or_bytes(ty) || option_of(ty).is_some_and(shared_str_or_bytes)
}

pub(super) fn shared_str_or_bytes(ty: &Type) -> bool {
    match ungroup(ty) {
        Type::Reference(r) if r.mutability.is_none() => match ungroup(&r.elem) {
            Type::Slice(slice) => named(&slice.elem, "u8"),
            elem => named(elem, "str"),
        },
        _ => false,
    }
}

/// `T` for a type `Option<T>` (by its last segment, as serde looks at it).
pub(super) fn option_of(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ungroup(ty) else {
        return None;
    };
    let last = path.path.segments.last().filter(|s| s.ident == "Option")?;
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Whether the type is the single name `name` (`str`, `u8`).
pub(super) fn named(ty: &Type, name: &str) -> bool {
    matches!(ungroup(ty), Type::Path(p) if p.qself.is_none() && p.path.is_ident(name))
}
