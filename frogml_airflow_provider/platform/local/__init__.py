"""The local embedded platform: real git builds in subprocesses, a real model endpoint on
127.0.0.1, and a real SQL analytics store, all under one state folder."""
