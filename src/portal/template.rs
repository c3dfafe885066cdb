//! The blank template of one cluster, generated from the schema: an xlsx a coordinator fills in
//! through its dropdowns, and which then passes validation by construction.
//!
//! - **KPIs** (the first sheet): the cluster and its country in a metadata block above the
//!   table (`Cluster:`, `Country:`, which give every row its cluster), then the canonical
//!   columns; dropdowns for `kpi`, `unit` (the list depends on the KPI chosen, through one named
//!   range a KPI, `units_<kpi>`, and `INDIRECT`), `scope` and `gas`; a whole-number rule on
//!   `year` (the years the FX table covers) and a number rule on `value`.
//! - **Instructions**: how to fill it in, in the coordinator's terms, and beside it the lists the
//!   dropdowns read, each under a defined name (visible: a hidden sheet would be reported as
//!   passed over).
//!
//! What the dropdowns offer is data (`[template]` in `schemas/layout.toml`).

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, Format, Formula, Workbook, Worksheet, XlsxError,
};

use crate::diag::column_letters;
use crate::schema::{Dimension, Field, Schema};

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("`{0}` is not a cluster of the registry")]
    UnknownCluster(String),
    #[error("the FX table has no USD rate, so no year can be offered")]
    NoYears,
    #[error("cannot build the template")]
    Xlsx(#[from] XlsxError),
}

const KPIS: &str = "KPIs";
const INSTRUCTIONS: &str = "Instructions";
/// The row of the table's header on the KPIs sheet (0-based), under the metadata block.
const HEADER: u32 = 3;
/// The first column of the lists on the Instructions sheet (0-based), right of the text.
const LISTS_AT: u16 = 2;

/// The units offered for a KPI's dimension; for money, also the cluster's own currency when the
/// FX table covers it in every year offered.
fn units(schema: &Schema, dimension: Dimension, currency: Option<&str>, years: &[i32]) -> Vec<String> {
    let mut units = schema.layout.template.units.get(&dimension).cloned().unwrap_or_default();
    if dimension == Dimension::Money
        && let Some(c) = currency.filter(|c| *c != "USD")
        && years.iter().all(|y| schema.fx.units_per_usd(c, *y).is_some())
    {
        units.extend([c.to_owned(), format!("{c} million")]);
    }
    units
}

/// The template of the cluster `cluster` (an id, a name or an alias), as xlsx bytes.
pub fn template(schema: &Schema, cluster: &str) -> Result<Vec<u8>, TemplateError> {
    let c = schema.clusters.find(cluster).ok_or_else(|| TemplateError::UnknownCluster(cluster.to_owned()))?;
    let currency = schema.countries.find(&c.country).and_then(|k| k.currency.as_deref());
    let years = schema.fx.years("USD");
    let (Some(&first), Some(&last)) = (years.first(), years.last()) else { return Err(TemplateError::NoYears) };
    let spec = &schema.layout.template;
    let rows = spec.rows.max(1);

    let mut book = Workbook::new();
    let bold = Format::new().set_bold();

    // The lists, one column each, under defined names.
    let mut lists: Vec<(String, Vec<String>)> =
        vec![("kpis".into(), schema.kpis.iter().map(|k| k.id.clone()).collect())];
    for k in schema.kpis.iter() {
        lists.push((format!("units_{}", k.id), units(schema, k.dimension, currency, &years)));
    }
    lists.push(("scopes".into(), spec.scopes.clone()));
    let mut gases: Vec<String> = schema.gwp.gases().map(str::to_owned).collect();
    gases.insert(0, schema.units.roles.equivalent.clone());
    lists.push(("gases".into(), gases));

    // The KPIs sheet first, so it opens on it: the metadata block, then the table.
    let sheet = book.add_worksheet().set_name(KPIS)?;
    sheet.write_string_with_format(0, 0, "Cluster:", &bold)?;
    sheet.write_string(0, 1, &c.name)?;
    sheet.write_string_with_format(1, 0, "Country:", &bold)?;
    sheet.write_string(1, 1, &c.country)?;
    let columns: Vec<Field> =
        Field::ALL.into_iter().filter(|f| !matches!(f, Field::Cluster | Field::Country)).collect();
    let col = |f: Field| columns.iter().position(|x| *x == f).map_or(0, |i| i as u16);
    for (i, f) in columns.iter().enumerate() {
        sheet.write_string_with_format(HEADER, i as u16, f.as_str(), &bold)?;
        sheet.set_column_width(i as u16, if *f == Field::Notes { 40 } else { 18 })?;
    }
    sheet.set_freeze_panes(HEADER + 1, 0)?;
    let range = |f: Field| (HEADER + 1, col(f), HEADER + rows, col(f));
    let add = |sheet: &mut Worksheet, f: Field, v: &DataValidation| -> Result<(), XlsxError> {
        let (r0, c0, r1, c1) = range(f);
        sheet.add_data_validation(r0, c0, r1, c1, v).map(|_| ())
    };
    let list = |name: &str, title: &str, message: &str| -> Result<DataValidation, XlsxError> {
        DataValidation::new()
            .allow_list_formula(Formula::new(format!("={name}")))
            .set_input_title(title)?
            .set_input_message(message)?
            .set_error_title(title)?
            .set_error_message(format!("{message}: pick one from the list"))
    };
    add(sheet, Field::Kpi, &list("kpis", "KPI", "The indicator reported")?)?;
    let kpi_cell = format!("${}{}", column_letters(u32::from(col(Field::Kpi))), HEADER + 2);
    let unit = DataValidation::new()
        .allow_list_formula(Formula::new(format!("=INDIRECT(\"units_\"&{kpi_cell})")))
        .set_input_title("Unit")?
        .set_input_message("Choose the KPI first: the units offered are those of its KPI")?
        .set_error_title("Unit")?
        .set_error_message("This unit does not measure the KPI of the row: pick one from the list")?;
    add(sheet, Field::Unit, &unit)?;
    add(sheet, Field::Scope, &list("scopes", "Scope", "The emission scope, for emissions")?)?;
    add(sheet, Field::Gas, &list("gases", "Gas", "The gas, when the figure is about one gas")?)?;
    let year = DataValidation::new()
        .allow_whole_number(DataValidationRule::Between(first, last))
        .set_input_title("Year")?
        .set_input_message(format!("The year the figure refers to, {first} to {last}"))?
        .set_error_title("Year")?
        .set_error_message(format!("A whole year from {first} to {last}, e.g. {last}"))?;
    add(sheet, Field::Year, &year)?;
    let value = DataValidation::new()
        .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
        .set_input_title("Value")?
        .set_input_message("The figure, as a number; its unit goes in the unit column")?
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title("Value")?
        .set_error_message("A number of zero or more, with the unit in its own column")?;
    add(sheet, Field::Value, &value)?;

    // Instructions.
    let help = book.add_worksheet().set_name(INSTRUCTIONS)?;
    help.set_column_width(0, 100)?;
    let lines = [
        format!("Template for {} ({}, {})", c.name, c.id, c.country),
        String::new(),
        format!(
            "Fill in one figure per row on the {KPIS} sheet, under its header. The cluster and the country above the table hold for every row."
        ),
        format!("year: a whole year from {first} to {last}."),
        "kpi: pick the indicator from the list.".to_owned(),
        "value: the figure as a number, without units or thousands separators typed as text.".to_owned(),
        "unit: pick it from the list after choosing the KPI: only the units of that KPI are offered.".to_owned(),
        "scope: for emissions, the scope (leave empty for a total of all scopes).".to_owned(),
        "gas: leave empty for CO2e figures; name the gas when the figure is a mass of one gas.".to_owned(),
        "facility: leave empty for the cluster's total; name the site for a figure of one site.".to_owned(),
        "notes: anything the data team should know about the figure (a fiscal year, an estimate).".to_owned(),
        String::new(),
        "Check the file before sending it: clusterkpi validate FILE, or the portal's page.".to_owned(),
        "The lists to the right are what the dropdowns offer; leave them as they are.".to_owned(),
    ];
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            help.write_string_with_format(i as u32, 0, line, &bold)?;
        } else {
            help.write_string(i as u32, 0, line)?;
        }
    }

    // The lists, one column each, under defined names.
    for (i, (name, values)) in lists.iter().enumerate() {
        let c = LISTS_AT + i as u16;
        help.write_string_with_format(0, c, name, &bold)?;
        for (r, v) in values.iter().enumerate() {
            help.write_string(r as u32 + 1, c, v)?;
        }
    }
    for (i, (name, values)) in lists.iter().enumerate() {
        let c = column_letters(u32::from(LISTS_AT) + i as u32);
        let end = values.len().max(1) + 1;
        book.define_name(name, &format!("={INSTRUCTIONS}!${c}$2:${c}${end}"))?;
    }
    Ok(book.save_to_buffer()?)
}
