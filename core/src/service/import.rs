//! Catalog import: products from a CSV file (an ERP's price list, a spreadsheet),
//! checked row by row with the domain's own parsers, applied in batches of
//! [`IMPORT_BATCH_ROWS`] rows, each batch one transaction.
//!
//! - A row names a product by SKU: a new SKU is created, a known one is changed in
//!   the columns the file has (a column the file lacks is left as it is).
//! - A row that changes nothing writes nothing and records no event, so importing
//!   the same file twice changes nothing the second time.
//! - A bad row is reported with its line and each field's problem; the other rows
//!   are imported. A problem with the file itself (an unknown column, no `sku`
//!   column) imports nothing.
//! - Cancelling stops after the batch being written: every batch is whole or absent.

use super::catalog::{barcode_taken, move_stock, movement, status_in};
use super::{tenant_of, Actor, Caller, Shop, ShopError};
use crate::domain::category::Category;
use crate::domain::ids::CategoryId;
use crate::domain::locale::Locale;
use crate::domain::money::{Currency, Money};
use crate::domain::permission::Operation;
use crate::domain::product::{
    Barcode, Product, ProductDescription, ProductFields, ProductStatus, ProductTitle, Sku, TaxRate,
};
use crate::domain::stock::MovementKind;
use crate::domain::text::Reason;
use crate::domain::FieldError;
use crate::store::{self, WriteTx};
use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicBool, Ordering};

/// Rows written per transaction.
pub const IMPORT_BATCH_ROWS: usize = 500;

/// The columns an import file may have, for help texts (header names in any case;
/// a title and a description column per locale).
pub const IMPORT_COLUMNS: &str =
    "sku, barcode, title_<locale>, description_<locale>, price, tax, status, category, stock";

/// The largest stock count a row may set.
const MAX_STOCK: i64 = 1_000_000_000;

/// How far an import has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportProgress {
    /// Data rows read so far.
    pub rows: u64,
    /// Bytes of the file read so far.
    pub bytes: u64,
    /// The file's size, when known.
    pub total_bytes: Option<u64>,
}

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Its line in the file (the header is line 1).
    pub line: u64,
    /// Its SKU, when it has one.
    pub sku: Option<String>,
    /// Every problem, with `field` naming the column.
    pub errors: Vec<FieldError>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: u64,
    /// Products created.
    pub created: u64,
    /// Products changed (fields, status or stock count).
    pub updated: u64,
    /// Rows that matched their product already.
    pub unchanged: u64,
    /// Rows not imported, in file order.
    pub rejected: Vec<RejectedRow>,
    /// Stopped by a cancel: the rows after the last whole batch were not imported.
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Sku,
    Barcode,
    Title(Locale),
    Description(Locale),
    Price,
    Tax,
    Status,
    Category,
    Stock,
    /// A column with no name (a spreadsheet's trailing separator): its cells are
    /// not read.
    Unnamed,
}

/// Reads the header: every column known, none twice, `sku` present.
fn columns(header: &csv::ByteRecord) -> Result<Vec<Column>, ShopError> {
    let mut out: Vec<Column> = Vec::with_capacity(header.len());
    for raw in header {
        let name = String::from_utf8_lossy(raw);
        let name = name.trim_start_matches('\u{feff}').trim().to_lowercase();
        let column = match name.as_str() {
            "" => Some(Column::Unnamed),
            "sku" => Some(Column::Sku),
            "barcode" => Some(Column::Barcode),
            "price" => Some(Column::Price),
            "tax" => Some(Column::Tax),
            "status" => Some(Column::Status),
            "category" => Some(Column::Category),
            "stock" => Some(Column::Stock),
            other => other
                .strip_prefix("title_")
                .and_then(|l| Locale::parse(l).ok())
                .map(Column::Title)
                .or_else(|| {
                    other
                        .strip_prefix("description_")
                        .and_then(|l| Locale::parse(l).ok())
                        .map(Column::Description)
                }),
        };
        let Some(column) = column else {
            return Err(FieldError::new(
                "file",
                "unknown_column",
                format!("line 1: \"{name}\" is not a column; the columns are {IMPORT_COLUMNS}"),
            )
            .with_param("column", &name)
            .with_param("line", 1)
            .into());
        };
        if column != Column::Unnamed && out.contains(&column) {
            return Err(FieldError::new(
                "file",
                "duplicate_column",
                format!("line 1: the column \"{name}\" appears twice"),
            )
            .with_param("column", &name)
            .with_param("line", 1)
            .into());
        }
        out.push(column);
    }
    if !out.contains(&Column::Sku) {
        return Err(FieldError::new(
            "file",
            "no_sku_column",
            "line 1 must name the columns, one of them sku",
        )
        .into());
    }
    Ok(out)
}

/// A row as read: `None` for a column the file lacks; `Some(None)` for an empty
/// cell of an optional column (the value is removed).
#[derive(Debug, Default)]
struct Row {
    line: u64,
    sku: Option<Sku>,
    barcode: Option<Option<Barcode>>,
    titles: Vec<(Locale, Option<ProductTitle>)>,
    descriptions: Vec<(Locale, Option<ProductDescription>)>,
    price: Option<Money>,
    tax: Option<TaxRate>,
    status: Option<ProductStatus>,
    category: Option<Option<String>>,
    stock: Option<i64>,
}

/// A tax rate typed as a percentage: `20`, `7.5`, `7,5 %`.
fn parse_tax(raw: &str) -> Result<TaxRate, FieldError> {
    let bad = || {
        FieldError::new(
            "tax",
            "invalid_tax",
            "must be a percentage from 0 to 100, such as 20 or 7.5",
        )
    };
    let s = raw.trim().trim_end_matches('%').trim();
    let (whole, frac) = s.split_once(['.', ',']).unwrap_or((s, ""));
    if whole.is_empty()
        || whole.len() > 3
        || frac.len() > 2
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let frac: u32 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    TaxRate::from_basis_points(whole * 100 + frac).map_err(|_| bad())
}

fn parse_stock(raw: &str) -> Result<i64, FieldError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=MAX_STOCK).contains(n))
        .ok_or_else(|| {
            FieldError::new(
                "stock",
                "invalid_stock",
                format!("must be a whole number of units from 0 to {MAX_STOCK}"),
            )
            .with_param("max", MAX_STOCK)
        })
}

/// Reads one data row; every problem is named by its column.
fn parse_row(
    line: u64,
    record: &csv::ByteRecord,
    columns: &[Column],
    currency: Currency,
) -> Result<Row, Vec<FieldError>> {
    let mut row = Row {
        line,
        ..Row::default()
    };
    let mut errors = Vec::new();
    if record.len() != columns.len() {
        errors.push(
            FieldError::new(
                "row",
                "cell_count",
                format!(
                    "has {} cells where the header has {}",
                    record.len(),
                    columns.len()
                ),
            )
            .with_param("cells", record.len())
            .with_param("columns", columns.len()),
        );
        return Err(errors);
    }
    for (column, raw) in columns.iter().zip(record) {
        let Ok(cell) = std::str::from_utf8(raw) else {
            errors.push(FieldError::new(
                "row",
                "bad_encoding",
                "is not UTF-8 text: save the file as CSV UTF-8",
            ));
            return Err(errors);
        };
        let cell = cell.trim();
        let empty = cell.is_empty();
        let mut put = |r: Result<(), FieldError>, name: String| {
            if let Err(e) = r {
                errors.push(e.at(name));
            }
        };
        // An empty SKU, price, tax, status or count means not given: a new
        // product then needs what is required, a known one keeps its value.
        let given = !empty
            || matches!(
                column,
                Column::Barcode | Column::Title(_) | Column::Description(_) | Column::Category
            );
        if !given {
            continue;
        }
        match column {
            Column::Sku => put(Sku::parse(cell).map(|s| row.sku = Some(s)), "sku".into()),
            Column::Barcode => put(
                if empty {
                    row.barcode = Some(None);
                    Ok(())
                } else {
                    Barcode::parse(cell).map(|b| row.barcode = Some(Some(b)))
                },
                "barcode".into(),
            ),
            Column::Title(l) => put(
                if empty {
                    row.titles.push((l.clone(), None));
                    Ok(())
                } else {
                    ProductTitle::parse(cell).map(|t| row.titles.push((l.clone(), Some(t))))
                },
                format!("title_{l}"),
            ),
            Column::Description(l) => put(
                if empty {
                    row.descriptions.push((l.clone(), None));
                    Ok(())
                } else {
                    ProductDescription::parse(cell)
                        .map(|d| row.descriptions.push((l.clone(), Some(d))))
                },
                format!("description_{l}"),
            ),
            // Spreadsheets group thousands with a space (or a no-break one).
            Column::Price => put(
                Money::parse_decimal(&cell.replace([' ', '\u{a0}', '\u{202f}'], ""), currency)
                    .and_then(|m| {
                        if m.minor < 0 {
                            Err(FieldError::new("price", "negative", "cannot be negative"))
                        } else {
                            row.price = Some(m);
                            Ok(())
                        }
                    }),
                "price".into(),
            ),
            Column::Tax => put(parse_tax(cell).map(|t| row.tax = Some(t)), "tax".into()),
            Column::Status => put(
                ProductStatus::parse(&cell.to_lowercase()).map(|s| row.status = Some(s)),
                "status".into(),
            ),
            Column::Category => {
                row.category = Some((!empty).then(|| cell.to_owned()));
            }
            Column::Stock => put(
                parse_stock(cell).map(|n| row.stock = Some(n)),
                "stock".into(),
            ),
            Column::Unnamed => {}
        }
    }
    if errors.is_empty() {
        Ok(row)
    } else {
        Err(errors)
    }
}

/// The shop's categories by name in any locale (lower case); a name two
/// categories share is ambiguous.
struct CategoryNames(HashMap<String, Option<CategoryId>>);

impl CategoryNames {
    fn of(categories: &[Category]) -> Self {
        let mut names: HashMap<String, Option<CategoryId>> = HashMap::new();
        for c in categories {
            for (_, name) in c.fields.names.iter() {
                names
                    .entry(name.as_str().to_lowercase())
                    .and_modify(|id| {
                        if *id != Some(c.id) {
                            *id = None;
                        }
                    })
                    .or_insert(Some(c.id));
            }
        }
        Self(names)
    }

    fn find(&self, name: &str) -> Result<CategoryId, FieldError> {
        match self.0.get(&name.trim().to_lowercase()) {
            Some(Some(id)) => Ok(*id),
            Some(None) => Err(FieldError::new(
                "category",
                "ambiguous_category",
                "two categories have this name; rename one",
            )
            .with_param("name", name)),
            None => Err(FieldError::new(
                "category",
                "unknown_category",
                "no category has this name; add it in the catalog first",
            )
            .with_param("name", name)),
        }
    }
}

/// What one row did.
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Names a domain error's field by the column it came from.
fn column_of(field: &str, default_locale: &Locale) -> String {
    match field {
        "titles" => format!("title_{default_locale}"),
        "tax_rate_bp" => "tax".to_owned(),
        f if f.starts_with("price") => "price".to_owned(),
        f => f.to_owned(),
    }
}

/// Counts and rejections of one batch (kept only once it committed).
#[derive(Default)]
struct BatchDone {
    created: u64,
    updated: u64,
    unchanged: u64,
    rejected: Vec<RejectedRow>,
}

/// Splits the first line off a buffered input to guess the delimiter: the one of
/// `,` `;` and tab the header uses most (spreadsheets in many languages save CSV
/// with semicolons).
fn delimiter(input: &mut impl BufRead) -> std::io::Result<u8> {
    let head = input.fill_buf()?;
    let first = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| first.iter().filter(|b| **b == d).count();
    Ok([b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (count(*d), *d == b','))
        .unwrap_or(b','))
}

/// Passes the file on to the CSV reader with its line ends made `\n` (CRLF and a
/// lone CR), keeping where each line starts and whether it is blank: a row is
/// reported on the line a text editor shows it on (the CSV reader starts a record
/// at the blank lines it skipped before it, and counts a CRLF file one short).
struct Lines<R> {
    inner: R,
    raw: Vec<u8>,
    /// The last byte passed on was a CR turned into LF: an LF right after it is
    /// the same line end.
    after_cr: bool,
    /// Bytes passed on so far (offsets as the CSV reader sees them).
    offset: u64,
    /// Bytes read from the file so far, for progress.
    read: u64,
    /// Where lines 2, 3, … start.
    starts: Vec<u64>,
    /// Whether lines 1, 2, … (the ended ones) hold nothing but spaces.
    blank: Vec<bool>,
    content: bool,
}

impl<R: Read> Lines<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            raw: vec![0; 64 * 1024],
            after_cr: false,
            offset: 0,
            read: 0,
            starts: Vec::new(),
            blank: Vec::new(),
            content: false,
        }
    }

    /// The line (1-based) of the first line with content at or after `byte`.
    fn line_at(&self, byte: u64) -> u64 {
        let mut line = self.starts.partition_point(|s| *s <= byte);
        while self.blank.get(line).copied().unwrap_or(false) {
            line += 1;
        }
        line as u64 + 1
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let want = out.len().min(self.raw.len());
            let n = self.inner.read(&mut self.raw[..want])?;
            if n == 0 {
                return Ok(0);
            }
            self.read += n as u64;
            let mut written = 0;
            for i in 0..n {
                let mut b = self.raw[i];
                if std::mem::take(&mut self.after_cr) && b == b'\n' {
                    continue;
                }
                if b == b'\r' {
                    self.after_cr = true;
                    b = b'\n';
                }
                out[written] = b;
                written += 1;
                self.offset += 1;
                if b == b'\n' {
                    self.blank.push(!self.content);
                    self.starts.push(self.offset);
                    self.content = false;
                } else if !matches!(b, b' ' | b'\t') {
                    self.content = true;
                }
            }
            // Nothing passed on (only the LF of a CRLF): read on, as 0 means the end.
            if written > 0 {
                return Ok(written);
            }
        }
    }
}

impl Shop {
    /// Imports the products of a CSV file (see the module docs). `progress` hears
    /// after every batch; `cancel` stops at the next batch's end. Managers and
    /// administrators (`ImportCatalog`).
    pub fn import_catalog(
        &self,
        actor: &Actor,
        input: impl Read,
        total_bytes: Option<u64>,
        progress: &mut dyn FnMut(ImportProgress),
        cancel: &AtomicBool,
    ) -> Result<ImportReport, ShopError> {
        // Refused before anything is read.
        let tenant = self.query(actor, Operation::ImportCatalog, |c, caller| {
            tenant_of(c, caller)
        })?;
        let mut input = std::io::BufReader::with_capacity(64 * 1024, Lines::new(input));
        let unreadable = |e: String| ShopError::from(FieldError::new("file", "unreadable", e));
        let head = input.fill_buf().map_err(|e| unreadable(e.to_string()))?;
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(FieldError::new(
                "file",
                "bad_encoding",
                "the file is UTF-16 text: save it as CSV UTF-8",
            )
            .into());
        }
        let delimiter = delimiter(&mut input).map_err(|e| unreadable(e.to_string()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(input);
        let read_error = |e: csv::Error| unreadable(e.to_string());
        let mut record = csv::ByteRecord::new();
        if !reader.read_byte_record(&mut record).map_err(read_error)? {
            return Err(FieldError::new("file", "empty", "the file is empty").into());
        }
        let columns = columns(&record)?;
        let currency = tenant.settings.currency;
        let locale = tenant.settings.default_locale.clone();
        let mut report = ImportReport::default();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut batch: Vec<Row> = Vec::with_capacity(IMPORT_BATCH_ROWS);
        loop {
            let more = reader.read_byte_record(&mut record).map_err(read_error)?;
            if more {
                // A line of nothing but spaces is a blank line too.
                if record
                    .iter()
                    .all(|c| c.iter().all(|b| matches!(b, b' ' | b'\t')))
                {
                    continue;
                }
                report.rows += 1;
                let lines = reader.get_ref().get_ref();
                let line = record
                    .position()
                    .map_or(report.rows + 1, |p| lines.line_at(p.byte()));
                match parse_row(line, &record, &columns, currency) {
                    Ok(row) => {
                        let sku = row.sku.as_ref().map(|s| s.as_str().to_owned());
                        let first = sku.as_ref().and_then(|s| seen.get(s).copied());
                        match (sku, first) {
                            (Some(sku), Some(first)) => report.rejected.push(RejectedRow {
                                line,
                                sku: Some(sku.clone()),
                                errors: vec![FieldError::new(
                                    "sku",
                                    "repeated_sku",
                                    format!("this SKU is on line {first} already"),
                                )
                                .with_param("line", first)],
                            }),
                            (Some(sku), None) => {
                                seen.insert(sku, line);
                                batch.push(row);
                            }
                            (None, _) => report.rejected.push(RejectedRow {
                                line,
                                sku: None,
                                errors: vec![FieldError::new("sku", "required", "is required")],
                            }),
                        }
                    }
                    Err(errors) => report.rejected.push(RejectedRow {
                        line,
                        sku: record
                            .get(columns.iter().position(|c| *c == Column::Sku).unwrap_or(0))
                            .map(|s| {
                                // As much as names the row; a SKU too long is one
                                // of the row's problems, not the report's.
                                let sku = String::from_utf8_lossy(s);
                                let sku = sku.trim();
                                match sku.char_indices().nth(40) {
                                    Some((at, _)) => format!("{}…", &sku[..at]),
                                    None => sku.to_owned(),
                                }
                            })
                            .filter(|s| !s.is_empty()),
                        errors,
                    }),
                }
            }
            if batch.len() == IMPORT_BATCH_ROWS || (!more && !batch.is_empty()) {
                let done = self.import_batch(actor, &locale, std::mem::take(&mut batch))?;
                report.created += done.created;
                report.updated += done.updated;
                report.unchanged += done.unchanged;
                report.rejected.extend(done.rejected);
                progress(ImportProgress {
                    rows: report.rows,
                    bytes: reader.get_ref().get_ref().read,
                    total_bytes,
                });
                if more && cancel.load(Ordering::SeqCst) {
                    report.cancelled = true;
                    break;
                }
            }
            if !more {
                break;
            }
        }
        report.rejected.sort_by_key(|r| r.line);
        Ok(report)
    }

    /// One batch in one transaction; a row the shop's rules refuse is reported
    /// and the others go on.
    fn import_batch(
        &self,
        actor: &Actor,
        locale: &Locale,
        rows: Vec<Row>,
    ) -> Result<BatchDone, ShopError> {
        self.command(actor, Operation::ImportCatalog, |tx, caller| {
            let names = CategoryNames::of(&store::categories(tx, caller.tenant)?);
            let mut done = BatchDone::default();
            for row in rows {
                let (line, sku) = (row.line, row.sku.as_ref().map(|s| s.as_str().to_owned()));
                let refused = |fields: Vec<FieldError>| RejectedRow {
                    line,
                    sku: sku.clone(),
                    errors: fields
                        .into_iter()
                        .map(|e| {
                            let column = column_of(&e.field, locale);
                            e.at(column)
                        })
                        .collect(),
                };
                match self.import_row(tx, caller, &names, row) {
                    Ok(Outcome::Created) => done.created += 1,
                    Ok(Outcome::Updated) => done.updated += 1,
                    Ok(Outcome::Unchanged) => done.unchanged += 1,
                    Err(ShopError::Validation { fields }) => done.rejected.push(refused(fields)),
                    Err(ShopError::InvalidTransition { from, .. }) => {
                        done.rejected.push(refused(vec![FieldError::new(
                            "status",
                            "invalid_transition",
                            format!("a product that is {from} cannot become that"),
                        )
                        .with_param("from", from)]))
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(done)
        })
    }

    /// Creates or changes one product; checks everything before it writes, so a
    /// refused row writes nothing.
    fn import_row(
        &self,
        tx: &mut WriteTx<'_>,
        caller: Caller,
        names: &CategoryNames,
        row: Row,
    ) -> Result<Outcome, ShopError> {
        let sku = row
            .sku
            .clone()
            .ok_or_else(|| FieldError::new("sku", "required", "is required"))?;
        let category = match &row.category {
            None => None,
            Some(None) => Some(None),
            Some(Some(name)) => Some(Some(names.find(name)?)),
        };
        let existing = store::product_by_sku(tx, caller.tenant, &sku)?;
        let before = existing.as_ref().map(|p| p.fields.clone());
        let mut fields = match &before {
            Some(f) => f.clone(),
            None => ProductFields {
                sku,
                barcode: None,
                titles: Default::default(),
                descriptions: Default::default(),
                price: row.price.ok_or_else(|| {
                    FieldError::new("price", "required", "a new product needs a price")
                })?,
                tax_rate: row.tax.ok_or_else(|| {
                    FieldError::new("tax", "required", "a new product needs a tax rate")
                })?,
                low_stock_threshold: 0,
                category: None,
                image: None,
            },
        };
        if let Some(b) = row.barcode {
            fields.barcode = b;
        }
        for (l, t) in row.titles {
            match t {
                Some(t) => fields.titles.insert(l, t),
                None => drop(fields.titles.remove(&l)),
            }
        }
        for (l, d) in row.descriptions {
            match d {
                Some(d) => fields.descriptions.insert(l, d),
                None => drop(fields.descriptions.remove(&l)),
            }
        }
        if let Some(p) = row.price {
            fields.price = p;
        }
        if let Some(t) = row.tax {
            fields.tax_rate = t;
        }
        if let Some(c) = category {
            fields.category = c;
        }
        let Some(p) = existing else {
            check(tx, caller, &fields, None)?;
            let status = row.status.unwrap_or(ProductStatus::Active);
            let p = self.insert_new(tx, caller, fields, status)?;
            set_stock(tx, caller, &p, row.stock)?;
            return Ok(Outcome::Created);
        };
        let edit = before.as_ref() != Some(&fields);
        if edit {
            check(tx, caller, &fields, before.as_ref())?;
        }
        let to = row.status.filter(|s| *s != p.status);
        if let Some(to) = to {
            p.status.transition(to)?;
        }
        let stock = row.stock.filter(|n| *n != p.on_hand);
        if !edit && to.is_none() && stock.is_none() {
            return Ok(Outcome::Unchanged);
        }
        let p = if edit {
            self.update_in(tx, p, fields)?
        } else {
            p
        };
        let p = match to {
            Some(to) => status_in(tx, p, to)?,
            None => p,
        };
        set_stock(tx, caller, &p, stock)?;
        Ok(Outcome::Updated)
    }
}

/// The shop's rules for a row's fields. The import has settled the rest itself:
/// the SKU is the one it looked up (free, or the product's own), the price is in
/// the shop's currency (parsed in it), the category one of the shop's (resolved by
/// name in this transaction). What is left: the fields' own rules and a barcode
/// another product has.
fn check(
    tx: &WriteTx<'_>,
    caller: Caller,
    fields: &ProductFields,
    old: Option<&ProductFields>,
) -> Result<(), ShopError> {
    let mut errors = match fields.validate() {
        Ok(()) => Vec::new(),
        Err(crate::domain::DomainError::Validation(fields)) => fields,
        Err(e) => return Err(e.into()),
    };
    errors.extend(barcode_taken(tx, caller, fields, old)?);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ShopError::Validation { fields: errors })
    }
}

/// Brings `p`'s stock on hand to `count` with one adjustment (none when equal).
fn set_stock(
    tx: &mut WriteTx<'_>,
    caller: Caller,
    p: &Product,
    count: Option<i64>,
) -> Result<(), ShopError> {
    let Some(delta) = count
        .and_then(|n| n.checked_sub(p.on_hand))
        .filter(|d| *d != 0)
    else {
        return Ok(());
    };
    tx.know_stock(p.id, p.on_hand);
    let mut m = movement(tx, caller, p.id, MovementKind::Adjusted, delta);
    m.reason = Some(Reason::parse("catalog import")?);
    move_stock(tx, caller, vec![m])?;
    Ok(())
}
