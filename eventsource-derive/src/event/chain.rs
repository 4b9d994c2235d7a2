//! Typed upcasting. An older shape (`#[event(version = N, upcast_to = Next)]`) converts to
//! the shape of a newer version, and so on up to the current event, which lists its older
//! shapes (`upcast_from(V1, V2, ...)`): its `upcast` method reads an older payload as the
//! shape of the payload's version and climbs the `upcast_to` links from there. `const`
//! assertions check the shapes' own attributes: their stored name, one shape per older
//! version, links that lead to newer versions.

use crate::ctxt::{path_text, respan};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

/// The `upcast` method of the current event's `DomainEvent` impl: one branch per older
/// shape, chosen by the shape's own schema version.
///
/// Everything past the shape's `OlderShape` impl goes through it: the chain is climbed
/// from `<Shape as OlderShape>::Next`, through the shape's `link`. A listed type that is
/// not an older shape is then one error, not a second one for the chain.
pub(super) fn upcast_method(shapes: &[syn::Path]) -> TokenStream {
    let branches = shapes.iter().map(|shape| {
        let span = shape.span();
        let older = quote_spanned!(span=> <#shape as ::eventsource::__private::OlderShape>);
        let link = link(
            &older,
            span,
            &quote_spanned!(span=> #older::Next),
            &quote!(Self),
        );
        let climb =
            quote_spanned!(span=> <#link::Next as ::eventsource::__private::UpcastChain<Self>>);
        // All at the shape: a type that is not an older shape is reported there, once.
        quote_spanned! {span=>
            if version == #older::SHAPE_VERSION {
                let next = #older::upcast_next(#older::read_shape(older)?)?;
                return #climb::climb(#link::next(next));
            }
        }
    });
    quote! {
        fn upcast(
            older: ::eventsource::__private::OlderPayload<'_>,
        ) -> ::core::result::Result<Self, ::eventsource::__private::DecodeError> {
            let version = older.schema_version();
            #( #branches )*
            ::core::result::Result::Err(
                older.no_upcaster(<Self as ::eventsource::DomainEvent>::SCHEMA_VERSION),
            )
        }
    }
}

/// `<Link<NEWER> as LinkTo<next, current>>`: the link from an older shape (`older`, its
/// `<Shape as OlderShape>`) to `next`, the shape its `upcast_to` names, handing `next` on
/// only when it is at a newer version. A link that is not, which the shape's own `const`
/// assertion reports, hands on `current` instead, so that the chain from `next` is not
/// required (and reported) as well.
fn link(older: &TokenStream, span: Span, next: &TokenStream, current: &TokenStream) -> TokenStream {
    quote_spanned! {span=>
        <::eventsource::__private::Link<{ #older::NEXT_VERSION > #older::SHAPE_VERSION }>
            as ::eventsource::__private::LinkTo<#next, #current>>
    }
}

/// `const` assertions, one block per listed shape, failing at the shape in the list: it is
/// stored under the event's name (or an alias), no earlier shape claims its version, and
/// its version is older than the event's. With as many shapes as older versions (checked
/// by the macro), that is one shape for each.
pub(super) fn shape_checks(
    ident: &syn::Ident,
    name: &str,
    version: u32,
    shapes: &[syn::Path],
) -> TokenStream {
    let blocks = shapes.iter().enumerate().map(|(i, shape)| {
        let text = path_text(shape);
        let of = |path: &syn::Path| {
            quote_spanned!(shape.span()=> <#path as ::eventsource::__private::OlderShape>)
        };
        let this = of(shape);
        let name_message = format!(
            "`{text}`, listed in `upcast_from(...)` of `{ident}`, is stored under another name than `{name}`; give it `#[event(name = \"{name}\", ...)]`"
        );
        let clashes = shapes[..i].iter().map(|earlier| {
            let other = of(earlier);
            let message = format!(
                "`{}` and `{text}` in `upcast_from(...)` of `{ident}` claim the same schema version of `{name}`; each older version has exactly one shape",
                path_text(earlier)
            );
            quote_spanned! {shape.span()=>
                if #this::SHAPE_VERSION == #other::SHAPE_VERSION {
                    ::core::panic!(#message);
                }
            }
        });
        let newer_message = format!(
            "`{text}`, listed in `upcast_from(...)` of `{ident}`, is not at an older schema version than `{ident}` (version {version}); list the shapes of versions 1 to {}",
            version - 1
        );
        quote_spanned! {shape.span()=>
            const _: () = {
                if !::eventsource::__private::reads_name(
                    #this::SHAPE_NAME,
                    <#ident as ::eventsource::DomainEvent>::EVENT_TYPE,
                    <#ident as ::eventsource::DomainEvent>::ALIASES,
                ) {
                    ::core::panic!(#name_message);
                }
                #( #clashes else )* if #this::SHAPE_VERSION >= #version {
                    ::core::panic!(#newer_message);
                }
            };
        }
    });
    quote!(#( #blocks )*)
}

/// What an older shape (`upcast_to = Next`) generates: its `OlderShape` impl, the link of
/// its chain, and a check that `Next` is newer. The conversion (`From` or `TryFrom`) is
/// required at `upcast_to`'s value, where a missing one is reported.
pub(super) fn older_shape(ident: &syn::Ident, next: &syn::Path) -> TokenStream {
    let span = next.span();
    let convert = respan(
        quote!(::eventsource::__private::upcast_step::<#ident, #next>(self)),
        span,
    );
    let message = format!(
        "`upcast_to` of `{ident}` names `{}`, which is not at a newer schema version than `{ident}`; name the shape of a later version, or the current event",
        path_text(next)
    );
    let older = quote_spanned!(span=> <#ident as ::eventsource::__private::OlderShape>);
    let link = link(&older, span, &next.to_token_stream(), &quote!(__Current));
    quote_spanned! {span=>
        #[automatically_derived]
        impl ::eventsource::__private::OlderShape for #ident {
            type Next = #next;

            fn upcast_next(self) -> ::core::result::Result<#next, ::eventsource::__private::DecodeError> {
                #convert
            }
        }

        #[automatically_derived]
        impl<__Current> ::eventsource::__private::UpcastChain<__Current> for #ident
        where
            #link::Next: ::eventsource::__private::UpcastChain<__Current>,
        {
            fn climb(self) -> ::core::result::Result<__Current, ::eventsource::__private::DecodeError> {
                let next = <Self as ::eventsource::__private::OlderShape>::upcast_next(self)?;
                <#link::Next as ::eventsource::__private::UpcastChain<__Current>>::climb(
                    #link::next(next),
                )
            }
        }

        const _: () = {
            if <#ident as ::eventsource::__private::OlderShape>::NEXT_VERSION
                <= <#ident as ::eventsource::__private::OlderShape>::SHAPE_VERSION
            {
                ::core::panic!(#message);
            }
        };
    }
}

/// What every event that is not an older shape generates: the end of a chain.
pub(super) fn chain_end(ident: &syn::Ident) -> TokenStream {
    quote! {
        #[automatically_derived]
        impl ::eventsource::__private::UpcastChain<#ident> for #ident {
            fn climb(self) -> ::core::result::Result<Self, ::eventsource::__private::DecodeError> {
                ::core::result::Result::Ok(self)
            }
        }
    }
}
