"""The warehouse: DuckDB raw tables, staging and mart views, labels and evidence.

The only package that calls ``duckdb.connect``.  Open it with
``open_warehouse(path)``; load miners' batches with ``Warehouse.load_batch``;
read activities as Arrow with ``Warehouse.query_activities``.
"""

from warehouse.errors import WarehouseError
from warehouse.loading import LoadResult
from warehouse.store import Warehouse, open_warehouse

__all__ = ["LoadResult", "Warehouse", "WarehouseError", "open_warehouse"]
