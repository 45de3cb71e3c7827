"""The operations: plain async functions holding the business rules. Nothing here imports
strawberry; GraphQL fields, REST routes and jobs all call these."""
