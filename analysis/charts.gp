# The analysis charts, from the tables scripts/analysis extracts out of
# data_statistics.json. Called as:
#   gnuplot -e "dir='analysis/results'" analysis/charts.gp
set terminal pngcairo size 900,450 font "sans,10"
set datafile separator "\t"
set key top left
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror

# Daily activity: interactions, active and new customers per UTC day.
set output dir."/daily_activity.png"
set title "Daily activity"
set xdata time
set autoscale xfix
set timefmt "%Y-%m-%d"
set format x "%Y-%m-%d"
set xtics rotate by -30
set ylabel "per day"
plot dir."/daily.tsv" using 1:2 with lines lw 1.5 lc rgb "#1f77b4" title "interactions", \
     "" using 1:3 with lines lw 1.5 lc rgb "#ff7f0e" title "active customers", \
     "" using 1:4 with lines lw 1.5 lc rgb "#2ca02c" title "new customers"
unset xdata
set format x "%g"
set xtics norotate

# Interactions per customer, on log scales: most customers interact once.
set output dir."/interactions_per_user.png"
set title "Interactions per customer"
set logscale xy
set xlabel "interactions"
set ylabel "customers"
plot dir."/per_user.tsv" using 1:2 with linespoints pt 7 ps 0.6 lc rgb "#1f77b4" notitle
unset logscale
unset xlabel

# The retention split: who is active before and after it.
set output dir."/retention_split.png"
set title "Customers and products before and after the split"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "count"
set yrange [0:*]
set key top right
plot dir."/split.tsv" using 2:xtic(1) lc rgb "#1f77b4" title "customers", \
     "" using 3 lc rgb "#ff7f0e" title "products"
