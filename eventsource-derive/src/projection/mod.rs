//! `#[projection]`: every function of the `impl` block handles the event it borrows; the
//! block is emitted unchanged and `Projection` is implemented for its type (or, with the
//! `sqlite` or `postgres` flag, `SqliteProjection` or `PostgresProjection`). Parse the
//! arguments and the handlers' signatures ([`parse`]), check the handlers against each
//! other ([`valid`]), write the impl ([`expand`]).

mod expand;
mod parse;
mod valid;

use crate::ctxt::{Ctxt, impl_block, with_crate};
use proc_macro2::TokenStream;
use quote::quote;

/// Where the read model is kept: in memory (no flag), or in the store's SQL database, the
/// handlers writing it inside the transaction that moves the checkpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `#[projection]`: `Projection`.
    Plain,
    /// `#[projection(sqlite)]`: `SqliteProjection`, handlers not `async`.
    Sqlite,
    /// `#[projection(postgres)]`: `PostgresProjection`, handlers plain or `async`.
    Postgres,
}

impl Mode {
    /// "a SQLite projection", for messages.
    fn projection(self) -> &'static str {
        match self {
            Mode::Plain => "a projection",
            Mode::Sqlite => "a SQLite projection",
            Mode::Postgres => "a PostgreSQL projection",
        }
    }
}

/// What `#[projection(...)]` says.
struct Args {
    name: Option<syn::LitStr>,
    mode: Mode,
    /// Where the `sqlite` or `postgres` flag is written.
    flag: proc_macro2::Span,
    /// `clear = method`: the method that empties the read model for a rebuild.
    clear: Option<syn::Ident>,
    /// `crate = "..."`: the path of the `eventsource` crate.
    krate: Option<syn::Path>,
}

/// The projection as the expansion sees it.
struct ProjectionDef<'a> {
    block: &'a syn::ItemImpl,
    /// `NAME`: `name = "..."`, or the type's name.
    name: String,
    mode: Mode,
    /// Where the `sqlite` or `postgres` flag is written.
    flag: proc_macro2::Span,
    clear: Option<syn::Ident>,
    /// Whether the block itself is right (inherent, not generic): only then does the
    /// expansion, or its stand-in, implement `Projection` for `block.self_ty`.
    block_ok: bool,
    /// The functions whose event type can be told, in block order, even those with a
    /// wrong signature (for the check of one handler per event).
    handlers: Vec<Handler<'a>>,
}

/// One function of the block.
struct Handler<'a> {
    method: &'a syn::Ident,
    /// `E` of `event: &E`.
    event: &'a syn::Type,
    /// `T` of `envelope: &T`, when the handler takes the envelope.
    envelope: Option<&'a syn::Type>,
    /// `T` of `tx: &T`, the transaction of a `sqlite` or `postgres` projection's handler.
    tx: Option<&'a syn::Type>,
    is_async: bool,
    /// The declared return type, if any.
    output: Option<&'a syn::Type>,
}

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let args = parse::parse_args(args, &mut cx);
    let krate = args.krate.clone();
    let tokens = expand_block(args, item, cx);
    with_crate(tokens, krate.as_ref())
}

fn expand_block(args: Args, item: TokenStream, mut cx: Ctxt) -> TokenStream {
    let block = match impl_block(
        item,
        "#[projection] applies to an inherent `impl` block whose methods are the handlers, as in `#[projection] impl OpenTasks { ... }`",
        &mut cx,
    ) {
        Ok(block) => block,
        Err(tokens) => return tokens,
    };
    let def = parse::parse(&block, args, &mut cx);
    valid::validate(&def, &mut cx);
    let projection = if cx.has_errors() {
        // The block and a stand-in impl: the reported errors are the only ones, with no
        // "`Projection` is not implemented" where the type is used.
        def.block_ok.then(|| expand::stand_in(&def))
    } else {
        Some(expand::generate(&def))
    };
    let errors = cx.into_compile_errors();
    quote! {
        #block
        #projection
        #errors
    }
}
