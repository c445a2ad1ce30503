//! Command-line flags of `local-api`.

pub struct Args {
    pub listen: String,
    pub contacts: Option<String>,
    pub token: Option<String>,
    pub access: Option<String>,
}

const USAGE: &str =
    "usage: local-api [--listen ADDR:PORT] [--contacts FILE] [--token TOKEN] [--access FILE]";

impl Args {
    pub fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut args = Args {
            listen: "127.0.0.1:3000".into(),
            contacts: None,
            token: None,
            access: None,
        };
        while let Some(flag) = argv.next() {
            let mut value = || {
                argv.next()
                    .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
            };
            match flag.as_str() {
                "--listen" => args.listen = value()?,
                "--contacts" => args.contacts = Some(value()?),
                "--token" => args.token = Some(value()?),
                "--access" => args.access = Some(value()?),
                "-h" | "--help" => return Err(USAGE.into()),
                other => return Err(format!("unknown flag {other}\n{USAGE}")),
            }
        }
        Ok(args)
    }
}
