//! `magpie`: opens the window, or with `magpie fetch …` downloads headless, or with
//! `magpie thumbs …` fills the thumbnail cache.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Magpie: fetch images from lists of URLs into a folder, and browse them.
#[derive(Debug, Parser)]
#[command(name = "magpie", version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Settings file to use [default: the platform config dir, e.g. ~/.config/magpie/config.toml]
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Folder to open the window on
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Download the image URLs in FILEs (or stdin) into a folder, without a window
    Fetch(Box<magpie::cli::FetchArgs>),
    /// Make thumbnails of images in files and folders, into the cache file managers share
    Thumbs(magpie::cli::ThumbsArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // The font fallback warns about locales like "C" it cannot use; that is no news.
                .unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new("warn,egui_system_font_provider=error")
                }),
        )
        .with_writer(std::io::stderr)
        .init();
    // Before any socket or file: a list over a thousand sites needs more than 1,024.
    magpie::open_files::raise_limit();
    let args = Args::parse();
    if let (Some(dir), Some(_)) = (&args.dir, &args.command) {
        eprintln!(
            "magpie: '{}' is a folder for the window; it cannot come before a command",
            dir.display()
        );
        return ExitCode::from(2);
    }
    let result = match args.command {
        Some(Cmd::Fetch(fetch)) => magpie::cli::fetch(*fetch, args.config),
        Some(Cmd::Thumbs(thumbs)) => magpie::cli::thumbs(thumbs),
        None => magpie::ui::run(args.dir, args.config),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("magpie: {e:#}");
            ExitCode::FAILURE
        }
    }
}
