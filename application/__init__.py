"""The application layer: the one way in. The CLI, the API and the pages hand it a step
and the acting person, or a question; it checks the input against the step's declaration
(domain.declarations), sends the command to the project's workflow, and answers reads from
the read models. No entry point talks to Temporal or to the store but through it."""
