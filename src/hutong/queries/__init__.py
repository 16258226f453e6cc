"""Questions the dashboard asks of a processed store, one module per part of the page: DuckDB over the
store's tables, data in, DataFrame out. `filters` turns the page's filters into SQL for all of them; `corpus`,
`trends`, `entities`, `timeline`, `matrix` and `articles` answer the page's sections."""
