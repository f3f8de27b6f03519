"""The edges people see: form exports, the registry and control tables, the rating sheet, documents,
mail. Pure layouts and readers: a job uses them before a call reaches a backend."""
