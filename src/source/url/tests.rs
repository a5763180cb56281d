use super::*;

#[test]
fn https_ssh_and_scp_forms_compare_equal() {
    let forms = [
        "https://github.com/org/repo",
        "https://github.com/org/repo.git",
        "https://github.com/org/repo/",
        "https://github.com/org/repo.git/",
        "https://GitHub.com/org/repo",
        "http://github.com/org/repo",
        "https://user:token@github.com/org/repo.git",
        "https://github.com:443/org/repo",
        "git@github.com:org/repo.git",
        "git@github.com:org/repo",
        "git@github.com:/org/repo.git",
        "ssh://git@github.com/org/repo",
        "ssh://git@github.com:22/org/repo.git",
        "git://github.com/org/repo.git",
        "  https://github.com/org/repo  ",
    ];
    for form in forms {
        assert_eq!(normalize_repo_url(form), "github.com/org/repo", "{form}");
    }
    assert_ne!(
        normalize_repo_url("https://github.com/org/repo"),
        normalize_repo_url("https://github.com/org/other")
    );
    assert_ne!(
        normalize_repo_url("https://github.com/org/repo"),
        normalize_repo_url("https://gitlab.com/org/repo")
    );
}

#[test]
fn local_paths_keep_case_and_drop_trailing_slash() {
    assert_eq!(normalize_repo_url("file:///srv/Repo/"), "file:///srv/Repo");
    assert_eq!(normalize_repo_url("/srv/Repo"), "file:///srv/Repo");
    assert_eq!(local_path("file:///srv/x/"), Some(PathBuf::from("/srv/x")));
    assert_eq!(local_path("FILE:///srv/x"), Some(PathBuf::from("/srv/x")));
    assert_eq!(local_path("https://h/x"), None);
    assert_eq!(local_path("git@h:x"), None);
}

#[test]
fn ipv6_hosts_and_odd_inputs() {
    assert_eq!(
        normalize_repo_url("ssh://git@[::1]:2222/org/repo.git"),
        "::1/org/repo"
    );
    assert_eq!(normalize_repo_url("https://example.com"), "example.com");
    assert_eq!(normalize_repo_url("relative/Repo.git"), "relative/repo");
}

#[test]
fn redacts_credentials_whatever_the_scheme_case() {
    let cases = [
        (
            "https://user:s3cret@github.com/org/repo",
            "https://***@github.com/org/repo",
        ),
        (
            "https://ghp_token@github.com/org/repo",
            "https://***@github.com/org/repo",
        ),
        (
            "HTTPS://ghp_token@github.com/org/repo",
            "HTTPS://***@github.com/org/repo",
        ),
        (
            "HTTP://user:tok3n@127.0.0.1:8080/r.git",
            "HTTP://***@127.0.0.1:8080/r.git",
        ),
        ("Http://tok3n@h/r", "Http://***@h/r"),
        ("ftp://tok3n@h/r", "ftp://***@h/r"),
        (
            "ssh://git@github.com/org/repo",
            "ssh://git@github.com/org/repo",
        ),
        (
            "SSH://git:pw@github.com/org/repo",
            "SSH://***@github.com/org/repo",
        ),
        ("git@github.com:org/repo", "git@github.com:org/repo"),
        ("https://github.com/org/repo", "https://github.com/org/repo"),
        // An unencoded `/` in the password: hidden up to the last `@`.
        (
            "https://user:pa/ss@host/org/repo",
            "https://***@host/org/repo",
        ),
        ("https://u:p@ss@host/r", "https://***@host/r"),
    ];
    for (url, want) in cases {
        assert_eq!(redact_url(url), want, "{url}");
    }
}

fn parsed(url: &str) -> RemoteUrl {
    RemoteUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

#[test]
fn allowed_forms_parse_and_give_git_a_credential_free_url() {
    let cases = [
        (
            "https://github.com/org/repo.git",
            "https://github.com/org/repo.git",
        ),
        ("HTTPS://GitHub.com/Org/Repo", "https://GitHub.com/Org/Repo"),
        (
            "https://user:tok@github.com:8443/org/repo/",
            "https://github.com:8443/org/repo",
        ),
        ("http://tok@127.0.0.1:80/r.git", "http://127.0.0.1/r.git"),
        (
            "ssh://git@github.com:22/org/repo",
            "ssh://git@github.com/org/repo",
        ),
        ("git+ssh://git@h/org/repo", "ssh://git@h/org/repo"),
        ("ssh://git:pw@h:2222/r", "ssh://git@h:2222/r"),
        ("git://h/r.git", "git://h/r.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("github.com:org/repo", "github.com:org/repo"),
        ("git@[::1]:org/repo", "git@[::1]:org/repo"),
        ("[git@h:2222]:org/repo", "ssh://git@h:2222/~/org/repo"),
        ("[h:2222]:/srv/repo", "ssh://h:2222/srv/repo"),
        ("ssh://git@[::1]:2222/r", "ssh://git@[::1]:2222/r"),
    ];
    for (url, want) in cases {
        assert_eq!(parsed(url).for_git(), want, "{url}");
    }
}

#[test]
fn cache_keys_keep_scheme_host_port_and_path_but_not_credentials() {
    let key = |url| parsed(url).cache_key();
    assert_eq!(
        key("https://github.com/Org/Repo"),
        "https://github.com:443/Org/Repo"
    );
    // Scheme and host case and default ports don't make another repository...
    assert_eq!(
        key("HTTPS://GITHUB.com:443/Org/Repo/"),
        key("https://github.com/Org/Repo")
    );
    assert_eq!(
        key("https://u:secret@github.com/Org/Repo"),
        key("https://github.com/Org/Repo")
    );
    // ...but port, scheme, path case and `.git` do: they can name another repository.
    for other in [
        "https://github.com:8443/Org/Repo",
        "http://github.com/Org/Repo",
        "https://github.com/org/repo",
        "https://github.com/Org/Repo.git",
        "ssh://git@github.com/Org/Repo",
    ] {
        assert_ne!(key(other), key("https://github.com/Org/Repo"), "{other}");
    }
    assert_ne!(
        key("http://127.0.0.1:1234/r"),
        key("http://127.0.0.1:1235/r")
    );
    assert_eq!(key("git@h:org/r"), "ssh://git@h:22/~/org/r");
    assert_eq!(key("ssh://git@h/~/org/r"), key("git@h:org/r"));
    assert!(!key("https://user:s3cret@h/r").contains("s3cret"));
}

#[test]
fn credentials_are_decoded_for_http_only() {
    let c = parsed("https://us%40er:p%3Ass@h/r").credentials().unwrap();
    assert_eq!((c.user.as_str(), c.password.as_str()), ("us@er", "p:ss"));
    let c = parsed("HTTP://tok3n@h/r").credentials().unwrap();
    assert_eq!((c.user.as_str(), c.password.as_str()), ("tok3n", ""));
    assert!(parsed("https://h/r").credentials().is_none());
    assert!(parsed("ssh://git:pw@h/r").credentials().is_none());
    assert_eq!(format!("{c:?}"), "Credentials(***)");
    assert!(!format!("{:?}", parsed("https://u:s3cret@h/r")).contains("s3cret"));
}

#[test]
fn local_paths_transports_and_bad_urls_are_refused() {
    for local in [
        "/srv/repo",
        "file:///srv/repo",
        "FILE:///srv/repo",
        "./repo",
        "../repo",
        "~/repo",
        "repo",
        "dir/a:b",
    ] {
        assert_eq!(RemoteUrl::parse(local), Err(UrlProblem::Local), "{local}");
    }
    assert_eq!(
        RemoteUrl::parse("ext::sh -c touch% /tmp/pwned"),
        Err(UrlProblem::Transport("ext".into()))
    );
    assert_eq!(
        RemoteUrl::parse("fd::17"),
        Err(UrlProblem::Transport("fd".into()))
    );
    assert_eq!(
        RemoteUrl::parse("ftp://h/r"),
        Err(UrlProblem::Scheme("ftp".into()))
    );
    assert_eq!(
        RemoteUrl::parse("foo://h/r"),
        Err(UrlProblem::Scheme("foo".into()))
    );
    for bad in [
        "",
        "-oProxyCommand=touch /tmp/x",
        "--upload-pack=x",
        "https://h/r x",
        "https://h/r\nx",
        "https://h/\u{7}r",
        "ssh://-oProxyCommand=x/r",
        "ssh://-u@h/r",
        "-oProxyCommand=x:r",
        "h:",
        "https://h:99999/r",
        "https://h:0/r",
        "https://h:x/r",
        "https:///r",
        "https://h%2f/r",
        "https://[zz]/r",
        "[::1:r",
    ] {
        assert!(
            matches!(RemoteUrl::parse(bad), Err(UrlProblem::Malformed(_))),
            "{bad:?}: {:?}",
            RemoteUrl::parse(bad)
        );
    }
}
