"""What several test modules share. A test module imports from here (or gets a fixture from
conftest.py), never from another test module.

- clock.py: FakeClock, the injectable clock TokenAuth and FakeRunaiServer share.
- fake.py: FakeRunaiServer as the auth tests use it (one client, one user, one app).
- parked.py: knowing, without a sleep, that threads wait to be woken.
- process.py: running a command whose output goes into the failure message.
- cli.py: runai-token as a process, its server and a clean environment; cli_main.py: its
  main() in process.
- runai_cli.py: the files Run:ai's own CLI leaves after `runai login`.
- login_kit.py, browsers.py, file_keyring.py: the login tests' keyrings, saved logins and
  browsers.
- contract.py, versions.py, prism.py: the contract tests' calls, the control-plane versions and
  the Prism mock server (a pytest plugin: test modules load it with pytest_plugins).
- pipeline.py: the generator pipeline run with make.
- oidc/: a real OpenID provider for the login interop tests.
- node.py: what the Node.js servers (Prism, the OpenID provider) share: a free port, a wait
  until they answer, a stop, and skipping (failing under CI) without Node.js.
- vendoring_probe.py: a script test_vendoring runs inside its throwaway venvs.
"""
