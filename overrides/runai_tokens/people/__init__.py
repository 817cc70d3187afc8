"""The people layer: credentials a person (or a pipeline's environment) stands behind.

The credential chain (_chain) and default_credentials() with connect(), which walks it when given
no credentials (_default); the runai CLI's session (_runai_cli, read by _file_source); and, in
runai_tokens.login, the `runai-token login` sessions and their store. It builds on the core
(credentials, auth, retry, api, errors, the generated client): the sessions reach TokenAuth
through auth's SessionCredentials protocol. The CLI builds on both; the core imports none of it.
"""
